import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { createEventStore } from '../../src/store/event-store.js'
import { testAdminKey } from '../support/app.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange } from '../support/events.js'
import { batches, generateHistory } from '../support/generate.js'
import { type ServiceProcess, startService, startUpRoomMs, waitForOk } from '../support/process.js'
import { differencesFromRebuild } from '../support/rebuild-compare.js'
import { type Receiver, startReceiver } from '../support/receiver.js'

/**
 * The production shape: two API processes and two worker processes on one database, writers on
 * both APIs, a webhook subscriber, a rebuild, and one of each role killed with SIGKILL mid-way.
 */
let database: TestDatabase
let receiver: Receiver
const services: ServiceProcess[] = []

beforeAll(async () => {
  database = await createTestDatabase()
  receiver = await startReceiver()
})
afterAll(async () => {
  for (const service of services) await service.stop('SIGKILL', 5000).catch(() => {})
  await receiver?.close()
  await database?.drop()
})

const auth = { authorization: `Bearer ${testAdminKey}` }
const json = { ...auth, 'content-type': 'application/json' }

async function start(role: 'api' | 'worker'): Promise<ServiceProcess> {
  const service = await startService(
    {
      DATABASE_URL: database.url,
      ADMIN_API_KEY: testAdminKey,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // The receiver shares a busy process with the checks below: room enough that no delivery
      // gives up for a slow answer (giving up is tested elsewhere); this test is about the kill.
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_RETRY_DELAYS: '0.2,0.5,1,2,4,8,15',
      // A killed worker's rebuild and deliveries go to another worker after this, not after an hour.
      JOB_EXPIRY: '10s',
    },
    [role],
  )
  services.push(service)
  return service
}

async function ready(service: ServiceProcess): Promise<ServiceProcess> {
  // Generous: four processes start TypeScript at once on two busy cores.
  await waitForOk(`${service.baseUrl}/ready`, startUpRoomMs).catch((error) => {
    throw new Error(`${error} (exit code ${service.child.exitCode})\n${service.output().slice(-2000)}`)
  })
  return service
}

interface Acknowledged {
  readonly id: string
  readonly position: number
}

/** One writer's history: shared subjects (every writer's companies have the same names) and its own. */
function writerBatches(writer: number, events: number): EventInput[][] {
  const history = generateHistory(100 + writer, events, { companies: 10 })
  return [...batches(history, 8)].map((batch, i) => [
    ...batch,
    priceChange(`solo-${writer}`, String(i + 1), {
      id: randomUUID(),
      occurredAt: `2024-05-${String((i % 28) + 1).padStart(2, '0')}`,
    }),
  ])
}

/**
 * Posts a batch through one of the APIs alive at the time, and through another when that one
 * fails to answer: appends are idempotent by event id, so a retry never stores an event twice.
 */
async function append(
  apis: () => readonly ServiceProcess[],
  batch: EventInput[],
  turn: number,
): Promise<Acknowledged[]> {
  const failures: string[] = []
  for (let attempt = 0; attempt < 40; attempt++) {
    const alive = apis()
    const api = alive[(turn + attempt) % alive.length] as ServiceProcess
    const res = await fetch(`${api.baseUrl}/v1/events`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ events: batch }),
      signal: AbortSignal.timeout(15_000),
    }).catch((error: Error) => error)
    if (res instanceof Error) failures.push(res.message)
    else if (res.status === 200 || res.status === 201) {
      const body = (await res.json()) as { events: Acknowledged[] }
      return body.events.map(({ id, position }) => ({ id, position }))
    } else if (res.status >= 500) failures.push(`${res.status} ${await res.text()}`)
    else throw new Error(`the append was refused: ${res.status} ${await res.text()}`)
    await sleep(100)
  }
  throw new Error(`no API took the append: ${failures.slice(-3).join('; ')}`)
}

async function getJson(service: ServiceProcess, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${service.baseUrl}${path}`, { headers: auth, signal: AbortSignal.timeout(20_000) })
  return { status: res.status, body: await res.json() }
}

async function waitForProjections(api: ServiceProcess, position: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const { body } = await getJson(api, '/v1/projections')
    last = body
    const statuses = body as Array<{ position: number; rebuild: unknown }>
    if (statuses.length === projections.length && statuses.every((s) => s.position >= position && !s.rebuild))
      return
    await sleep(200)
  }
  throw new Error(`the projections did not reach ${position} within ${timeoutMs} ms: ${JSON.stringify(last)}`)
}

/** How the deliveries of these events stand, grouped, with their last errors: what a failure shows. */
async function deliveriesOf(eventIds: readonly string[]): Promise<unknown> {
  if (eventIds.length === 0) return []
  const { rows } = await sql<{ status: string; attempts: number; deliveries: number; errors: string[] }>`
    select d.status, d.attempt_count as attempts, count(*)::int as deliveries,
      (array_agg(distinct coalesce(a.error, a.status_code::text)))[1:3] as errors
    from webhook_deliveries d
    left join webhook_attempts a on a.delivery_id = d.id and a.attempt = d.attempt_count
    where d.event_id = any(${eventIds}::uuid[])
    group by 1, 2
  `.execute(database.handle.db)
  const undelivered = await sql<{ count: number }>`
    select count(*)::int as count from unnest(${eventIds}::uuid[]) e(id)
    where not exists (select 1 from webhook_deliveries d where d.event_id = e.id)
  `.execute(database.handle.db)
  return { withoutDelivery: undelivered.rows[0]?.count, byStatus: rows }
}

describe('two API and two worker processes on one database', () => {
  it('lose no acknowledged event, deliver every one, and agree with a rebuild after one of each is killed', {
    timeout: 240_000,
  }, async () => {
    const apis = [await start('api'), await start('api')]
    const workers = [await start('worker'), await start('worker')]
    await Promise.all(apis.map(ready))
    const liveApis: ServiceProcess[] = [...apis]

    const subscribed = await fetch(`${apis[0]?.baseUrl}/v1/webhooks`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ url: receiver.url }),
    })
    expect(subscribed.status).toBe(201)

    const writers = 6
    const perWriter = 360
    const total = writers * (perWriter + Math.ceil(perWriter / 8))
    const acknowledged: Acknowledged[] = []
    const write = async (writer: number) => {
      let turn = writer
      for (const batch of writerBatches(writer, perWriter)) {
        acknowledged.push(...(await append(() => liveApis, batch, turn++)))
      }
    }
    const writing = Promise.all(Array.from({ length: writers }, (_, w) => write(w)))

    const until = async (share: number) => {
      const deadline = Date.now() + 60_000
      while (acknowledged.length < total * share && Date.now() < deadline) await sleep(20)
    }
    await until(0.25)
    const rebuild = await fetch(`${apis[1]?.baseUrl}/v1/projections/price-list/rebuild`, {
      method: 'POST',
      headers: auth,
    })
    expect(rebuild.status).toBe(202)

    await until(0.5)
    const [killedApi, survivingApi] = apis as [ServiceProcess, ServiceProcess]
    liveApis.splice(liveApis.indexOf(killedApi), 1)
    await Promise.all([killedApi.stop('SIGKILL'), workers[0]?.stop('SIGKILL')])
    const replacements = [start('api'), start('worker')] as const
    const replacementApi = await ready(await replacements[0])
    liveApis.push(replacementApi)
    await replacements[1]

    await writing
    expect(acknowledged.length).toBe(total)
    const last = Math.max(...acknowledged.map((a) => a.position))
    await waitForProjections(survivingApi, last, 60_000)

    // Every acknowledged event is in the log once, at the position its acknowledgement gave.
    const stored = await database.handle.db.selectFrom('events').select(['id', 'position']).execute()
    const storedAt = new Map(stored.map((e) => [e.id, Number(e.position)]))
    expect(storedAt.size).toBe(stored.length)
    expect(acknowledged.filter((a) => storedAt.get(a.id) !== a.position)).toEqual([])
    expect(new Set(acknowledged.map((a) => a.id)).size).toBe(acknowledged.length)

    // Every read model is what a rebuild from scratch makes of the log.
    const store = createEventStore(database.handle.db, catalogue, 'UTC')
    for (const projection of projections) {
      const differences = await differencesFromRebuild(database.handle.db, store, projection)
      expect(differences, projection.name).toEqual(
        Object.fromEntries(Object.keys(projection.tables).map((table) => [table, 0])),
      )
    }

    // Every event in the log reached the receiver, and a repeat came under the same webhook-id.
    const delivered = () =>
      new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id))
    await receiver
      .waitFor(() => delivered().size >= stored.length, 90_000)
      .catch(async (error) => {
        const missing = stored.filter((e) => !delivered().has(e.id)).map((e) => e.id)
        throw new Error(
          `${error}: ${missing.length} of ${stored.length} events were never delivered; ` +
            `their deliveries: ${JSON.stringify(await deliveriesOf(missing))}`,
        )
      })
    expect([...delivered()].sort()).toEqual([...storedAt.keys()].sort())
    const webhookIds = new Map<string, Set<string>>()
    for (const request of receiver.requests) {
      const id = (JSON.parse(request.body) as { data: { id: string } }).data.id
      const ids = webhookIds.get(id) ?? new Set()
      ids.add(String(request.headers['webhook-id']))
      webhookIds.set(id, ids)
    }
    expect([...webhookIds].filter(([, ids]) => ids.size !== 1)).toEqual([])

    // Both APIs alive now give the same answers, as of the last acknowledged position.
    const knownAt = new Date(Date.now() + 60_000).toISOString()
    const queries = [
      '/v1/prices?asOf=2030',
      '/v1/prices?asOf=2022-06-30',
      '/v1/prices?product=solo-3&asOf=2024-05-20',
      '/v1/alliances?asOf=2030',
      '/v1/alliances?asOf=2021-12',
      '/v1/timeline?limit=1000',
      '/v1/timeline?from=2023-01&to=2023-06&type=price.*',
    ].map((q) => `${q}${q.includes('?') ? '&' : '?'}consistentWith=${last}&knownAt=${knownAt}`)
    for (const query of queries) {
      const [a, b] = await Promise.all([getJson(survivingApi, query), getJson(replacementApi, query)])
      expect(a.status, query).toBe(200)
      expect(b, query).toEqual(a)
    }
  })
})
