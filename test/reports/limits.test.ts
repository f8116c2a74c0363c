import type { FastifyInstance, InjectOptions } from 'fastify'
import { sql } from 'kysely'
import pg from 'pg'
import type PgBoss from 'pg-boss'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { reports } from '../../reports/index.js'
import { buildApp } from '../../src/api/app.js'
import { type Config, loadConfig } from '../../src/config.js'
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js'
import { startJobQueue } from '../../src/jobs.js'
import { reportRequester, workReports } from '../../src/reports/jobs.js'
import { createEventStore } from '../../src/store/event-store.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange, registration } from '../support/events.js'
import { type HoldingProxy, startHoldingProxy } from '../support/holding-proxy.js'

/**
 * Reports read the whole log. However many are asked for, they do not pile up without bound
 * (jobs and replays per caller), they cannot take the connections appends need (a pool of their
 * own), and one that runs too long is cancelled with a 503.
 */
const silent = { info: () => {}, warn: () => {}, error: () => {} }
const config = (env: NodeJS.ProcessEnv = {}): Config =>
  loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', ...env })

const from = (remoteAddress: string, request: InjectOptions): InjectOptions => ({ ...request, remoteAddress })
const snapshot = (remoteAddress: string) => from(remoteAddress, { url: '/v1/reports/market-snapshot' })
const appendOne = (subject: string): InjectOptions => ({
  method: 'POST',
  url: '/v1/events',
  headers: { authorization: `Bearer ${adminKey}` },
  payload: { events: [priceChange(subject, '1')] },
})
const adminKey = 'test-admin-key-0123456789abcdef0123456789'

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
) {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toContain('application/problem+json')
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
}

/** Polls `check` until it is true; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('report jobs, per caller', () => {
  let database: TestDatabase
  let boss: PgBoss
  let app: FastifyInstance

  beforeAll(async () => {
    database = await createTestDatabase()
    boss = await startJobQueue(database.url, silent, false)
    const settings = config({ REPORT_JOBS_PER_CALLER: '3', ADMIN_API_KEY: adminKey })
    app = await buildApp({
      config: settings,
      database: database.handle,
      catalogue,
      reports,
      jobs: boss,
      requestReport: reportRequester(database.handle.db, boss, {
        jobsPerCaller: settings.reports.jobsPerCaller,
      }),
    })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await boss?.stop({ graceful: false, wait: true, timeout: 5000 })
    await database?.drop()
  })

  const ask = (remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject(from(remoteAddress, { method: 'POST', url: '/v1/reports/funding', headers }))
  const jobsOf = async (caller: string) =>
    (
      await sql<{ n: number }>`select count(*)::int as n from report_jobs where caller = ${caller}`.execute(
        database.handle.db,
      )
    ).rows[0]?.n

  it('an address without a key queues REPORT_JOBS_PER_CALLER jobs, then gets a 429 that queues nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask('192.0.2.10')))
    const codes = answers.map((res) => res.statusCode).sort()
    expect(codes).toEqual([202, 202, 202, 429, 429, 429, 429, 429])
    const refused = answers.find((res) => res.statusCode === 429)
    if (!refused) throw new Error('no refusal')
    expectProblem(refused, 429)
    expect(refused.json().detail).toContain('REPORT_JOBS_PER_CALLER=3')
    expect(await jobsOf('address:192.0.2.10')).toBe(3)
  })

  it('another address, and a key, each have jobs of their own', async () => {
    expect((await ask('192.0.2.11')).statusCode).toBe(202)
    expect((await ask('192.0.2.10', { authorization: `Bearer ${adminKey}` })).statusCode).toBe(202)
    expect(await jobsOf('key:environment')).toBe(1)
  })

  it('a caller may queue again once its jobs have finished', async () => {
    await workReports(boss, { db: database.handle.db, catalogue, reports, log: silent })
    await until(async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from report_jobs
         where caller = 'address:192.0.2.10' and status in ('queued', 'running')
      `.execute(database.handle.db)
      return rows[0]?.n === 0
    }, 'finished')
    expect((await ask('192.0.2.10')).statusCode).toBe(202)
  })
})

describe('report replays beside appends', () => {
  let database: TestDatabase
  let proxy: HoldingProxy
  let main: DatabaseHandle
  let longReads: DatabaseHandle
  let app: FastifyInstance

  beforeAll(async () => {
    database = await createTestDatabase()
    const store = createEventStore(database.handle.db, catalogue, 'UTC')
    await store.append([registration('held-co'), priceChange('held-product', '1')])
    // Every statement of the replay's pages is stopped on its way to the server: a report that never ends.
    proxy = await startHoldingProxy(database.url, 'as "effectiveAt"')
    const settings = config({ ADMIN_API_KEY: adminKey, REPORT_READS_PER_CALLER: '2' })
    main = connectDatabase(proxy.url, { max: 10 })
    longReads = connectDatabase(proxy.url, { max: settings.reports.poolSize, readOnly: true })
    app = await buildApp({
      config: settings,
      database: main,
      reportDatabase: longReads,
      catalogue,
      reports,
      store: createEventStore(main.db, catalogue, 'UTC'),
    })
    await app.ready()
  })
  afterAll(async () => {
    proxy?.release()
    await app?.close()
    await longReads?.close()
    await main?.close()
    await proxy?.close()
    await database?.drop()
  })

  it('an append completes at once while a dozen callers replay reports that do not finish', async () => {
    const replays = Array.from({ length: 12 }, (_, n) => app.inject(snapshot(`198.51.100.${n + 1}`)))
    await until(() => proxy.held() >= 3, 'holding the report pool')
    // Settled: no more replays reach the server than the pool they use has connections, for half a second.
    let seen = { held: proxy.held(), since: Date.now() }
    await until(
      () => {
        if (proxy.held() !== seen.held) seen = { held: proxy.held(), since: Date.now() }
        return Date.now() - seen.since >= 500
      },
      'settled',
      10_000,
    )
    const started = Date.now()
    const append = await Promise.race([
      app.inject(appendOne('written-meanwhile')),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000)),
    ])
    expect(append?.statusCode, 'the append waited for a connection behind the replays').toBe(201)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(proxy.held()).toBe(3)
    proxy.release()
    const answers = await Promise.all(replays)
    expect(answers.map((res) => res.statusCode)).toEqual(Array(12).fill(200))
  })
})

describe('replays and exports per caller', () => {
  let database: TestDatabase
  let proxy: HoldingProxy
  let longReads: DatabaseHandle
  let app: FastifyInstance

  beforeAll(async () => {
    database = await createTestDatabase()
    await createEventStore(database.handle.db, catalogue, 'UTC').append([registration('slot-co')])
    proxy = await startHoldingProxy(database.url, 'as "effectiveAt"')
    longReads = connectDatabase(proxy.url, { max: 6, readOnly: true })
    app = await buildApp({
      config: config({ REPORT_READS_PER_CALLER: '2' }),
      database: database.handle,
      reportDatabase: longReads,
      catalogue,
      reports,
    })
    await app.ready()
  })
  afterAll(async () => {
    proxy?.release()
    await app?.close()
    await longReads?.close()
    await proxy?.close()
    await database?.drop()
  })

  it('a caller with REPORT_READS_PER_CALLER replays in progress gets a 429 for another, or for an NDJSON export', async () => {
    const running = [app.inject(snapshot('203.0.113.5')), app.inject(snapshot('203.0.113.5'))]
    await until(() => proxy.held() === 2, 'both replays held')
    const third = await app.inject(snapshot('203.0.113.5'))
    expectProblem(third, 429)
    expect(third.json().detail).toContain('REPORT_READS_PER_CALLER=2')
    const ndjson = await app.inject(
      from('203.0.113.5', { url: '/v1/events', headers: { accept: 'application/x-ndjson' } }),
    )
    expectProblem(ndjson, 429)
    // Another caller is not held back by this one, and paging the log is not a full-log read.
    const other = app.inject(snapshot('203.0.113.6'))
    await until(() => proxy.held() === 3, "the other caller's replay under way")
    expect((await app.inject(from('203.0.113.5', { url: '/v1/events?limit=10' }))).statusCode).toBe(200)
    proxy.release()
    expect((await Promise.all([...running, other])).map((res) => res.statusCode)).toEqual([200, 200, 200])
    // Finished replays give their slots back.
    const again = await app.inject(
      from('203.0.113.5', { url: '/v1/events', headers: { accept: 'application/x-ndjson' } }),
    )
    expect(again.statusCode).toBe(200)
    expect(again.body.trim().split('\n')).toHaveLength(1)
    expect((await app.inject(snapshot('203.0.113.5'))).statusCode).toBe(200)
  })
})

describe('a statement past its timeout', () => {
  let database: TestDatabase
  let main: DatabaseHandle
  let longReads: DatabaseHandle
  let app: FastifyInstance
  let locker: pg.Client | undefined

  beforeAll(async () => {
    database = await createTestDatabase()
    main = connectDatabase(database.url, { statementTimeoutMs: 500 })
    longReads = connectDatabase(database.url, { max: 2, readOnly: true, statementTimeoutMs: 300 })
    app = await buildApp({ config: config(), database: main, reportDatabase: longReads, catalogue, reports })
    await app.ready()
  })
  afterEach(async () => {
    await locker?.end()
    locker = undefined
  })
  afterAll(async () => {
    await app?.close()
    await longReads?.close()
    await main?.close()
    await database?.drop()
  })

  /** Holds a lock on the log that every read of it waits for, for `ms`. */
  async function lockTheLogFor(ms: number): Promise<void> {
    locker = new pg.Client({ connectionString: database.url })
    await locker.connect()
    await locker.query('begin')
    await locker.query('lock table events in access exclusive mode')
    const client = locker
    setTimeout(() => void client.query('rollback').catch(() => {}), ms)
  }

  it('is cancelled: a report that waits past REPORT_STATEMENT_TIMEOUT answers a 503 problem, not a 500', async () => {
    await lockTheLogFor(5000)
    const started = Date.now()
    const res = await app.inject('/v1/reports/market-snapshot?format=csv')
    expectProblem(res, 503)
    expect(res.json().type).toContain('statement-timeout')
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('an ordinary read past STATEMENT_TIMEOUT is a 503 too', async () => {
    await lockTheLogFor(5000)
    const res = await app.inject('/v1/events?limit=10')
    expectProblem(res, 503)
    expect(res.json().type).toContain('statement-timeout')
  })
})
