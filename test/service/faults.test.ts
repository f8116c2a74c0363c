import { existsSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { connectDatabase } from '../../src/db/connect.js'
import {
  clusterDirOf,
  type EmbeddedDatabase,
  removeDataFolder,
  startEmbeddedPostgres,
} from '../../src/db/embedded.js'
import { createEventStore } from '../../src/store/event-store.js'
import { testAdminKey } from '../support/app.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange } from '../support/events.js'
import { eventually } from '../support/eventually.js'
import { freePort, type ServiceProcess, startService, waitForOk } from '../support/process.js'

const services: ServiceProcess[] = []
const folders: string[] = []
afterAll(async () => {
  for (const service of services) await service.stop('SIGKILL').catch(() => {})
  for (const folder of folders) await removeDataFolder(folder)
})

async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'market-timeline-faults-'))
  folders.push(dir)
  return dir
}

async function start(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServiceProcess> {
  const service = await startService({ ADMIN_API_KEY: testAdminKey, ...env }, args)
  services.push(service)
  // Start-up on a busy machine: loading the code and migrating may take a while.
  await waitForOk(`${service.baseUrl}/ready`, 90_000)
  return service
}

/** Every event in the log, streamed as NDJSON: a refusal is a failure, not a count of one. */
async function countEvents(service: ServiceProcess): Promise<number> {
  const response = await fetch(`${service.baseUrl}/v1/events`, {
    headers: { accept: 'application/x-ndjson' },
  })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
  const events = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { id: string; position: number })
  for (const event of events)
    expect(event).toMatchObject({ id: expect.any(String), position: expect.any(Number) })
  return events.length
}

describe('the embedded database after a crash', () => {
  it('starts again after the service is killed with SIGKILL, leaving its server running', {
    timeout: 90_000,
  }, async () => {
    const dataDir = await folder()
    const first = await start({ DATA_DIR: dataDir, DATABASE_URL: '' })
    const before = await countEvents(first)
    await first.stop('SIGKILL')
    const cluster = await clusterDirOf(dataDir)
    const orphan = Number((await readFile(path.join(cluster, 'postmaster.pid'), 'utf8')).split('\n')[0])
    expect(() => process.kill(orphan, 0)).not.toThrow()

    const second = await start({ DATA_DIR: dataDir, DATABASE_URL: '' })
    expect(await countEvents(second)).toBe(before)
    expect(await second.stop('SIGTERM')).toBe(0)
    expect(existsSync(path.join(cluster, 'postmaster.pid'))).toBe(false)

    // A pid file naming a process that no longer exists (as after a reboot) is cleared too.
    await writeFile(path.join(cluster, 'postmaster.pid'), '999999\n/nowhere\n')
    const third = await start({ DATA_DIR: dataDir, DATABASE_URL: '' })
    expect(await countEvents(third)).toBe(before)
    expect(await third.stop('SIGTERM')).toBe(0)
  })
})

/** A connection of the service polls the checkpoints for a consistentWith wait (src/projector/consistency.ts). */
async function waitingForReadModels(database: TestDatabase): Promise<boolean> {
  const { rows } = await database.handle.pool.query(
    `select 1 from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and query like '%join projection_checkpoints c on c.name = p.name%'`,
  )
  return rows.length > 0
}

describe('shutting down', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  it('finishes the request in flight, then exits 0', { timeout: 60_000 }, async () => {
    // The API role alone: no worker applies this event, so a consistentWith query waits its full 3 s.
    const service = await start({ DATABASE_URL: database.url, CONSISTENCY_WAIT_MS: '3000' }, ['api'])
    const store = createEventStore(database.handle.db, catalogue, 'UTC')
    const { events } = await store.append([priceChange('in-flight', '1')])
    const started = Date.now()
    const inFlight = fetch(`${service.baseUrl}/v1/prices?consistentWith=${events[0]?.position}`)
    await eventually('the request waiting for the read model', () => waitingForReadModels(database), 30_000)
    const exited = service.stop('SIGTERM')
    const response = await inFlight
    expect(response.status).toBe(503)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900)
    expect(await exited).toBe(0)
  })
})

describe('PostgreSQL stopped for 20 s under load', () => {
  let server: EmbeddedDatabase
  let dataDir: string
  let port: number
  beforeAll(async () => {
    dataDir = await folder()
    port = await freePort()
    server = await startEmbeddedPostgres({ dataDir, port, database: 'faults' })
  })
  afterAll(() => server.stop())

  it('answers 503 meanwhile, loses no acknowledged append, and recovers without a restart', {
    timeout: 120_000,
  }, async () => {
    const service = await start({ DATABASE_URL: server.url, LOG_LEVEL: 'warn' })
    const acknowledged: string[] = []
    const statuses: Record<string, number[]> = { append: [], read: [], ready: [] }
    let phase: 'before' | 'down' | 'restarting' | 'after' = 'before'
    const seen = { down: new Set<number>(), after: new Set<number>() }
    let running = true

    const write = async () => {
      for (let i = 0; running && i < 100_000; i++) {
        const at = phase
        const res = await fetch(`${service.baseUrl}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            events: [priceChange(`load-${i % 7}`, String(i), { id: crypto.randomUUID() })],
          }),
        }).catch(() => undefined)
        if (!res) continue
        const body = (await res.json()) as { events?: Array<{ id: string }>; status?: number }
        if (res.status === 201) acknowledged.push(body.events?.[0]?.id as string)
        statuses.append?.push(res.status)
        if (at === 'down' || at === 'after') seen[at].add(res.status)
        if (res.status === 503) expect(res.headers.get('retry-after')).toBeTruthy()
        await sleep(20)
      }
    }
    const read = async () => {
      while (running) {
        const at = phase // the phase when the request left, not when its answer came back
        const [events, ready] = await Promise.all([
          fetch(`${service.baseUrl}/v1/events?limit=1`).catch(() => undefined),
          fetch(`${service.baseUrl}/ready`).catch(() => undefined),
        ])
        if (at === 'down' || at === 'after') {
          if (events) seen[at].add(events.status)
          if (ready) seen[at].add(ready.status + 1000)
        }
        await sleep(50)
      }
    }
    const load = [write(), read()]

    await eventually('appends acknowledged under load', () => acknowledged.length >= 20, 60_000)
    await server.stop()
    phase = 'down'
    // The outage lasts 20 s (longer than a consistentWith wait), and until both refusals were seen.
    await Promise.all([
      sleep(20_000),
      eventually('503 from appends and /ready', () => seen.down.has(503) && seen.down.has(1503), 60_000),
    ])
    phase = 'restarting'
    server = await startEmbeddedPostgres({ dataDir, port, database: 'faults' })
    await waitForOk(`${service.baseUrl}/ready`, 90_000).catch((error) => {
      const lines = service
        .output()
        .split('\n')
        .filter((l) => !l.includes('retrying in 1 s') && !l.includes('"level":40'))
      throw new Error(`${error}\nexit: ${service.child.exitCode}\n${lines.slice(-12).join('\n')}`)
    })
    phase = 'after'
    const ackedBeforeRestart = acknowledged.length
    await eventually(
      'appends and reads answered again',
      () => acknowledged.length >= ackedBeforeRestart + 20 && seen.after.has(200),
      60_000,
    )
    running = false
    await Promise.all(load)

    expect(seen.down.has(503)).toBe(true)
    expect(seen.down.has(1503)).toBe(true) // /ready said 503 while the database was away
    expect([...seen.down].filter((s) => s >= 500 && s !== 503 && s !== 1503)).toEqual([])
    expect(seen.after.has(201)).toBe(true)
    expect(seen.after.has(200)).toBe(true)

    const check = connectDatabase(server.url)
    try {
      const stored = await check.db
        .selectFrom('events')
        .select('id')
        .where('id', 'in', acknowledged)
        .execute()
      expect(stored.length).toBe(acknowledged.length)
      expect(acknowledged.length).toBeGreaterThanOrEqual(40)
    } finally {
      await check.close()
    }
    expect(await service.stop('SIGTERM')).toBe(0)
  })
})
