import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { connectDatabase } from '../../src/db/connect.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { includesState } from '../../src/projector/read-model-state.js'
import { priceChange } from '../support/events.js'
import { runToEnd, type ServiceProcess, startService, startUpRoomMs, waitForOk } from '../support/process.js'
import { queryOnce, type ReplicatedPair, startReplicatedPair } from '../support/replication.js'

const adminKey = 'replica-admin-key-0123456789abcdef0123456789'
const waitMs = 1500

let pair: ReplicatedPair | undefined
let api: ServiceProcess | undefined
let worker: ServiceProcess | undefined

beforeAll(async () => {
  pair = await startReplicatedPair()
  const primary = connectDatabase(pair.primaryUrl, { max: 1 })
  await migrateToLatest(primary.db).finally(() => primary.close())
  const env = {
    DATABASE_URL: pair.primaryUrl,
    READ_DATABASE_URL: pair.standbyUrl,
    ADMIN_API_KEY: adminKey,
    CONSISTENCY_WAIT_MS: String(waitMs),
    SEED_ON_START: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
  }
  worker = await startService(env, ['worker'])
  api = await startService(env, ['api'])
  const started = api
  await waitForOk(`${started.baseUrl}/ready`, startUpRoomMs).catch((error) => {
    throw new Error(`${error} (exit code ${started.child.exitCode})\n${started.output().slice(-3000)}`)
  })
  const running = worker
  for (let i = 0; i < 600 && !running.output().includes('worker started'); i++) await sleep(100)
  if (!running.output().includes('worker started')) {
    throw new Error(
      `the worker did not start (exit code ${running.child.exitCode}):\n${running.output().slice(-3000)}`,
    )
  }
}, 180_000)

afterAll(async () => {
  await api?.stop().catch(() => {})
  await worker?.stop().catch(() => {})
  await pair?.stop()
}, 60_000)

function urls(): { api: string; primary: string; standby: string } {
  if (!api || !pair) throw new Error('not started')
  return { api: api.baseUrl, primary: pair.primaryUrl, standby: pair.standbyUrl }
}

async function append(product: string, amount: string): Promise<{ id: string; position: number }> {
  const res = await fetch(`${urls().api}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: [priceChange(product, amount)] }),
  })
  expect(res.status).toBe(201)
  const [event] = ((await res.json()) as { events: Array<{ id: string; position: number }> }).events
  if (!event) throw new Error('no event in the answer')
  return event
}

async function priceHistory(
  product: string,
  query = '',
): Promise<{ status: number; amounts: string[]; retryAfter: string | null }> {
  const res = await fetch(`${urls().api}/v1/products/${product}/prices${query}`)
  const body = (await res.json()) as { changes?: Array<{ amount: string }> }
  return {
    status: res.status,
    amounts: body.changes?.map((c) => c.amount) ?? [],
    retryAfter: res.headers.get('retry-after'),
  }
}

/**
 * Waits (bounded) until every read model on the primary has applied `position`: the worker has
 * projected it, and every notification of it has been sent.
 */
async function appliedOnPrimary(position: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [row] = await queryOnce<{ position: number }>(
      urls().primary,
      `select min(c.position)::int as position from projections p
         join projection_checkpoints c on c.name = p.name and c.generation = p.live_generation`,
    )
    if ((row?.position ?? 0) >= position) return
    await sleep(50)
  }
  throw new Error(`the primary's read models did not apply position ${position} within 20 s`)
}

/**
 * Reads with consistentWith until it answers 200 (bounded: 503 means "retry shortly", and a busy
 * machine may need more than one wait); any other status is the answer.
 */
async function consistentHistory(product: string, position: number): ReturnType<typeof priceHistory> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const answer = await priceHistory(product, `?consistentWith=${position}`)
    if (answer.status !== 503 || Date.now() > deadline) return answer
  }
}

/** Pauses WAL replay on the standby for the length of `during`, then resumes it. */
async function withReplayPaused(during: () => Promise<void>): Promise<void> {
  await queryOnce(urls().standby, 'select pg_wal_replay_pause()')
  try {
    for (let i = 0; i < 100; i++) {
      const [row] = await queryOnce<{ state: string }>(
        urls().standby,
        'select pg_get_wal_replay_pause_state() as state',
      )
      if (row?.state === 'paused') break
      await sleep(20)
    }
    await during()
  } finally {
    await queryOnce(urls().standby, 'select pg_wal_replay_resume()')
  }
}

describe('the API with READ_DATABASE_URL on a hot standby', { timeout: 90_000 }, () => {
  it('answers an appended fact with consistentWith, read on the standby', async () => {
    const { position } = await append('replica-one', '0.5')
    expect(await consistentHistory('replica-one', position)).toMatchObject({ status: 200, amounts: ['0.5'] })

    const sessions = (server: string) =>
      queryOnce<{ count: number }>(
        server,
        `select count(*)::int from pg_stat_activity where application_name = 'market-timeline-reads'`,
      )
    expect((await sessions(urls().standby))[0]?.count).toBeGreaterThan(0)
    expect((await sessions(urls().primary))[0]?.count).toBe(0)
  })

  it('reads the log, the read models and reports on the standby: a paused replay hides a new fact', async () => {
    await withReplayPaused(async () => {
      const event = await append('replica-two', '0.7')
      await appliedOnPrimary(event.position)
      expect((await fetch(`${urls().api}/v1/events/${event.id}`)).status).toBe(404)
      const head = (await (await fetch(`${urls().api}/v1/events/head`)).json()) as { position: number }
      expect(head.position).toBeLessThan(event.position)
      expect((await priceHistory('replica-two')).amounts).toEqual([])
      const report = await (await fetch(`${urls().api}/v1/reports/price-changes`)).text()
      expect(report).not.toContain('replica-two')
    })
  })

  it('answers 503 with Retry-After for a position the standby has not replayed, and 200 once it has', async () => {
    let position = 0
    await withReplayPaused(async () => {
      position = (await append('replica-three', '0.9')).position
      await appliedOnPrimary(position)
      const started = Date.now()
      const behind = await priceHistory('replica-three', `?consistentWith=${position}`)
      expect(behind.status).toBe(503)
      expect(behind.retryAfter).toBe('1')
      expect(Date.now() - started).toBeGreaterThanOrEqual(waitMs - 50)
    })
    expect(await consistentHistory('replica-three', position)).toMatchObject({
      status: 200,
      amounts: ['0.9'],
    })
  })

  it('keeps no answer computed on the standby before it replayed a change the primary announced', async () => {
    const first = await append('replica-four', '1.1')
    expect((await consistentHistory('replica-four', first.position)).amounts).toEqual(['1.1'])
    await withReplayPaused(async () => {
      await appliedOnPrimary((await append('replica-four', '1.2')).position)
      // The primary's notification has come by now; answers computed meanwhile are the old ones.
      for (let i = 0; i < 5; i++) {
        expect((await priceHistory('replica-four')).amounts).toEqual(['1.1'])
        await sleep(100)
      }
    })
    let amounts: string[] = []
    for (let i = 0; i < 400 && amounts.length < 2; i++) {
      amounts = (await priceHistory('replica-four')).amounts
      if (amounts.length < 2) await sleep(50)
    }
    expect(amounts).toEqual(['1.1', '1.2'])
  })

  it('keeps appending with the standby down, answers reads 503 with Retry-After, and is not ready', async () => {
    await pair?.stopStandby()
    const appended = await append('replica-five', '1.3')
    const read = await priceHistory('replica-five', `?consistentWith=${appended.position}`)
    expect(read.status).toBe(503)
    expect(read.retryAfter).not.toBeNull()
    const ready = await fetch(`${urls().api}/ready`)
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { detail: string }).detail).toBe('The read replica is not answering.')
  })

  it('refuses a write through the read pool even on a primary standing in for a replica', async () => {
    const reads = connectDatabase(urls().primary, { readOnly: true, max: 1 })
    try {
      await expect(
        reads.db.deleteFrom('projection_checkpoints').where('name', '=', 'none').execute(),
      ).rejects.toMatchObject({ code: '25006' })
    } finally {
      await reads.close()
    }
  })
})

describe('READ_DATABASE_URL', () => {
  it('without DATABASE_URL stops the start with one line saying so', async () => {
    const { code, out } = await runToEnd(
      'src/main.ts',
      { DATABASE_URL: '', READ_DATABASE_URL: 'postgres://127.0.0.1:1/replica' },
      ['api'],
    )
    expect(code).toBe(1)
    expect(out.trim()).toBe(
      'market-timeline: configuration error: READ_DATABASE_URL names a replica of DATABASE_URL: set DATABASE_URL too',
    )
  })

  it('that is not a PostgreSQL URL is refused without echoing it', () => {
    const env = { DATABASE_URL: 'postgres://127.0.0.1:1/primary' }
    expect(() => loadConfig({ ...env, READ_DATABASE_URL: 'replica:secret@host' })).toThrow(
      /READ_DATABASE_URL must be a URL such as/,
    )
    expect(loadConfig({ ...env, READ_DATABASE_URL: 'postgresql://r:5432/db' }).readDatabaseUrl).toBe(
      'postgresql://r:5432/db',
    )
    expect(loadConfig(env).readDatabaseUrl).toBeUndefined()
  })
})

describe('read-model states', () => {
  const state = (generation: number, position: number) => new Map([['price-list', { generation, position }]])

  it('include an earlier state of the same generation, a newer generation, and not a later one', () => {
    expect(includesState(state(1, 10), state(1, 9))).toBe(true)
    expect(includesState(state(1, 10), state(1, 10))).toBe(true)
    expect(includesState(state(2, 0), state(1, 10))).toBe(true)
    expect(includesState(state(1, 9), state(1, 10))).toBe(false)
    expect(includesState(state(1, 10), state(2, 0))).toBe(false)
    expect(includesState(new Map(), state(1, 0))).toBe(false)
  })
})
