import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { connectDatabase } from '../../src/db/connect.js'
import { type EmbeddedDatabase, removeDataFolder, startEmbeddedPostgres } from '../../src/db/embedded.js'
import { startAnswerCuttingProxy } from '../support/answer-cutting-proxy.js'
import { testAdminKey } from '../support/app.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange } from '../support/events.js'
import { eventually } from '../support/eventually.js'
import { processesIn, waitUntilGone } from '../support/os-processes.js'
import { freePort, type ServiceProcess, startService, waitForOk } from '../support/process.js'
import { receivers } from '../support/receiver.js'

/**
 * Crashes at the worst moments, with the service left running: PostgreSQL's postmaster killed
 * with SIGKILL under load and started again where it was; an append whose answer is lost after
 * its COMMIT, retried.
 */
const services: ServiceProcess[] = []
const started = receivers()
afterAll(async () => {
  for (const service of services) await service.stop('SIGKILL').catch(() => {})
  await started.closeAll()
})

/** Start-up on a busy machine: loading the code and migrating may take a while. */
async function startReady(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServiceProcess> {
  const service = await startService({ ADMIN_API_KEY: testAdminKey, ...env }, args)
  services.push(service)
  await waitForOk(`${service.baseUrl}/ready`, 90_000)
  return service
}

const asAdmin = { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' }

function postEvents(baseUrl: string, events: readonly EventInput[]): Promise<Response> {
  return fetch(`${baseUrl}/v1/events`, { method: 'POST', headers: asAdmin, body: JSON.stringify({ events }) })
}

interface Recorded {
  readonly id: string
  readonly position: number
}

async function appended(response: Response): Promise<Recorded[]> {
  const body = (await response.json()) as { events: Recorded[] }
  return body.events.map(({ id, position }) => ({ id, position }))
}

interface PriceInEffect {
  readonly product: string
  readonly eventId: string
}

async function pricesOf(baseUrl: string, query: string): Promise<{ status: number; eventIds: string[] }> {
  const response = await fetch(`${baseUrl}/v1/prices?${query}`)
  if (response.status !== 200) return { status: response.status, eventIds: [] }
  const body = (await response.json()) as { prices: PriceInEffect[] }
  return { status: 200, eventIds: body.prices.map((p) => p.eventId) }
}

describe('the PostgreSQL server killed with SIGKILL under load, then started again', () => {
  let server: EmbeddedDatabase
  let dataDir: string
  let port: number
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'market-timeline-crash-'))
    port = await freePort()
    server = await startEmbeddedPostgres({ dataDir, port, database: 'crash' })
  }, 120_000)
  afterAll(async () => {
    await server.stop()
    await removeDataFolder(dataDir)
  })

  it('keeps every acknowledged append, and projections, the answer cache, consistentWith and webhooks recover without restarting the service', {
    timeout: 400_000,
  }, async () => {
    const receiver = await started.start()
    const service = await startReady({
      DATABASE_URL: server.url,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      CONSISTENCY_WAIT_MS: '60000',
      LOG_LEVEL: 'warn',
    })
    const subscribed = await fetch(`${service.baseUrl}/v1/webhooks`, {
      method: 'POST',
      headers: asAdmin,
      body: JSON.stringify({ url: receiver.url, types: ['price.changed'] }),
    })
    expect(subscribed.status).toBe(201)
    const cachedProduct = 'crash-cached'
    const first = await postEvents(service.baseUrl, [priceChange(cachedProduct, '1')])
    expect(first.status).toBe(201)
    const [original] = await appended(first)

    // One writer, acknowledgements recorded with the phase their request left in.
    type Phase = 'before' | 'down' | 'restarting' | 'after'
    let phase: Phase = 'before'
    const acknowledged: Array<Recorded & { phase: Phase }> = []
    const answers: Array<{ phase: Phase; status: number | 'no answer' }> = []
    let writing = true
    const writer = (async () => {
      for (let i = 0; writing && i < 20_000; i++) {
        const at = phase
        const event = priceChange(`crash-load-${i % 5}`, String(i + 1), { id: crypto.randomUUID() })
        const response = await postEvents(service.baseUrl, [event]).catch(() => undefined)
        answers.push({ phase: at, status: response?.status ?? 'no answer' })
        if (response?.status === 201)
          for (const e of await appended(response)) acknowledged.push({ ...e, phase: at })
        else await response?.body?.cancel()
        await sleep(10)
      }
    })()
    const receivedIds = () =>
      new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { data: Recorded }).data.id))

    await eventually('appends acknowledged before the crash', () => acknowledged.length >= 20, 60_000)
    await eventually('webhooks delivered before the crash', () => receiver.requests.length > 0, 60_000)

    // SIGKILL: no shutdown, no checkpoint. Its backends follow it out; a new server may start once they have.
    const cluster = server.clusterDir
    const postmaster = Number((await readFile(path.join(cluster, 'postmaster.pid'), 'utf8')).split('\n')[0])
    expect(await processesIn(cluster)).toContain(postmaster)
    process.kill(postmaster, 'SIGKILL')
    phase = 'down'
    await waitUntilGone(await processesIn(cluster), 60_000)
    await eventually(
      'a 503 while the database is gone',
      () => answers.some((a) => a.phase === 'down' && a.status === 503),
      30_000,
    )

    phase = 'restarting'
    server = await startEmbeddedPostgres({ dataDir, port, database: 'crash' })
    await waitForOk(`${service.baseUrl}/ready`, 90_000)
    phase = 'after'
    await eventually(
      'appends acknowledged after the restart',
      () => acknowledged.filter((a) => a.phase === 'after').length >= 20,
      90_000,
    )
    writing = false
    await writer

    // Every acknowledged append survived the crash.
    const check = connectDatabase(server.url, { max: 1 })
    try {
      const ids = acknowledged.map((a) => a.id)
      const stored = await check.db.selectFrom('events').select('id').where('id', 'in', ids).execute()
      expect(stored.length).toBe(ids.length)

      // Every LISTEN connection is back: appends wake the projector and the dispatcher, queued
      // deliveries the delivery worker, and read-model moves reach the answer cache.
      const listening = await eventually(
        'LISTEN connections after the restart',
        async () => {
          const { rows } = await check.pool.query<{ application_name: string }>(
            `select distinct application_name from pg_stat_activity where datname = current_database() and query like 'listen %'`,
          )
          const names = rows.map((r) => r.application_name)
          const wanted = ['mt_events', 'mt_read_models', 'mt_webhook_jobs'].map((c) => `market-timeline-${c}`)
          return wanted.every((name) => names.includes(name)) && names
        },
        60_000,
      )
      expect(listening).toContain('market-timeline-mt_read_models')
    } finally {
      await check.close()
    }

    // Read-your-writes on the last acknowledged position.
    const last = Math.max(...acknowledged.map((a) => a.position))
    const consistent = await fetch(`${service.baseUrl}/v1/prices?consistentWith=${last}`)
    expect(consistent.status).toBe(200)
    await consistent.body?.cancel()

    // A cached answer is dropped when the read model moves: the cache listens again.
    const cachedQuery = `asOf=2030-01-01&product=${cachedProduct}`
    const before = await pricesOf(service.baseUrl, cachedQuery)
    expect(before).toEqual({ status: 200, eventIds: [original?.id] })
    const change = await postEvents(service.baseUrl, [priceChange(cachedProduct, '2')])
    expect(change.status).toBe(201)
    const [changed] = await appended(change)
    if (!changed) throw new Error('no event appended')
    const fresh = await pricesOf(
      service.baseUrl,
      `product=${cachedProduct}&consistentWith=${changed.position}`,
    )
    expect(fresh).toEqual({ status: 200, eventIds: [changed.id] })
    await eventually(
      'the cached answer replaced',
      async () => {
        const now = await pricesOf(service.baseUrl, cachedQuery)
        return now.eventIds.includes(changed.id)
      },
      15_000,
    )

    // Webhooks resume: every fact appended after the restart reaches the receiver.
    const afterRestart = [...acknowledged.filter((a) => a.phase === 'after'), changed].map((a) => a.id)
    await eventually(
      'webhooks for the appends after the restart',
      () => {
        const received = receivedIds()
        return afterRestart.every((id) => received.has(id))
      },
      90_000,
    )

    // While the database was away appends were refused with a 503, never another 5xx.
    const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 503)
    expect(unexpected).toEqual([])
    // The same process throughout.
    expect(service.child.exitCode).toBeNull()
    expect(await service.stop('SIGTERM')).toBe(0)
  })
})

describe('an append whose answer is lost after its COMMIT', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  it('retried with the same ids is a 200 with the stored events, and stores nothing twice', {
    timeout: 150_000,
  }, async () => {
    const service = await startReady({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' }, ['api'])
    const proxy = await startAnswerCuttingProxy(Number(new URL(service.baseUrl).port))
    try {
      const events = [
        priceChange('lost-answer', '1', { id: crypto.randomUUID() }),
        priceChange('lost-answer', '2', { id: crypto.randomUUID() }),
      ]
      const ids = events.map((e) => e.id as string)
      await expect(postEvents(proxy.baseUrl, events)).rejects.toThrow()
      expect(proxy.cut).toBe(1)
      // The service had committed before it began to answer: the events are in the log.
      const stored = () =>
        database.handle.db
          .selectFrom('events')
          .select(['id', 'position'])
          .where('id', 'in', ids)
          .orderBy('position')
          .execute()
      const committed = await stored()
      expect(committed.map((e) => e.id)).toEqual(ids)

      const retry = await postEvents(service.baseUrl, events)
      expect(retry.status).toBe(200)
      expect(await appended(retry)).toEqual(committed)
      expect(await stored()).toEqual(committed)
    } finally {
      await proxy.close()
    }
  })
})
