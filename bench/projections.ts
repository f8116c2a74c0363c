import { mkdir, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { catalogue } from '../events/index.js'
import { projections } from '../projections/index.js'
import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/config.js'
import { ensureProjections } from '../src/projector/generations.js'
import { startProjector } from '../src/projector/projector.js'
import { createEventStore } from '../src/store/event-store.js'
import { batches, generateHistory } from '../test/support/generate.js'
import { machine, openBenchDatabase } from './support.js'

/**
 * Projections over a generated log: catch-up rate from 0, append-to-visible latency at light
 * load, and as-of query latency at 10 concurrent clients vs. a trivial route in the same process.
 * `--events N` (default 1,000,000; `--quick` 100,000).
 */
const quick = process.argv.includes('--quick')
const eventsArg = process.argv.indexOf('--events')
const total = eventsArg > 0 ? Number(process.argv[eventsArg + 1]) : quick ? 100_000 : 1_000_000
const silent = { info() {}, warn() {}, error: (o: object, m: string) => console.error(m, o) }

const db = await openBenchDatabase()
const store = createEventStore(db.handle.db, catalogue, 'UTC')
await ensureProjections(db.handle.db, projections)

let started = performance.now()
for (const batch of batches(generateHistory(42, total, { companies: 300 }), 1000)) await store.append(batch)
const appendSeconds = (performance.now() - started) / 1000
const head = await store.headPosition()
console.log(
  `appended ${head} events in ${appendSeconds.toFixed(1)} s (${Math.round(head / appendSeconds)}/s, batches of 1000)`,
)

// Raw paged read of the whole log, for reference.
started = performance.now()
for (let after = 0; ; ) {
  const { rows } = await sql<{ position: number }>`
    select * from events where position > ${after} order by position limit 5000
  `.execute(db.handle.db)
  const last = rows.at(-1)
  if (!last) break
  after = last.position
}
const rawReadRate = head / ((performance.now() - started) / 1000)

// Catch-up of every projection from 0, as a worker does it (one loop per projection).
started = performance.now()
const projector = startProjector({
  db: db.handle.db,
  store,
  projections,
  databaseUrl: db.url,
  log: silent,
  batchSize: 5000,
})
const perProjection: Record<string, number> = {}
for (;;) {
  const rows = await db.handle.db.selectFrom('projection_checkpoints').select(['name', 'position']).execute()
  for (const r of rows) {
    if (r.position === head && perProjection[r.name] === undefined) {
      perProjection[r.name] = Math.round(head / ((performance.now() - started) / 1000))
    }
  }
  if (rows.every((r) => r.position === head)) break
  await sleep(100)
}
const catchUpSeconds = (performance.now() - started) / 1000

// Append-to-visible latency at light load: one event every 20 ms.
const latencies: number[] = []
for (let i = 0; i < 200; i++) {
  const t0 = performance.now()
  const { events } = await store.append([
    {
      type: 'price.changed',
      subject: 'latency-probe',
      occurredAt: '2024',
      data: { component: 'input', amount: String(i), currency: 'CNY', unit: '1K tokens' },
    },
  ])
  const position = events[0]?.position ?? 0
  for (;;) {
    const row = await db.handle.db
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', 'price-list')
      .executeTakeFirstOrThrow()
    if (row.position >= position) break
    await sleep(1)
  }
  latencies.push(performance.now() - t0)
  await sleep(20)
}
await projector.stop()
latencies.sort((a, b) => a - b)
const pct = (values: number[], p: number) =>
  values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0

// As-of queries vs. a trivial route, 10 connections, same process.
const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' })
const app = await buildApp({ config, database: db.handle, catalogue, store, databaseUrl: db.url })
await sleep(500) // let the answer cache's LISTEN connect
app.get('/bench/trivial', async () => ({ ok: true }))
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const dates = ['2020-06', '2021-03', '2022-09', '2023-05-10', '2024-01', '2024-12-31']
const load = async (paths: string[]) => {
  let i = 0
  const result = await autocannon({
    url: base,
    connections: 10,
    duration: quick ? 5 : 10,
    requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] as string }) }],
  })
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}
const trivial = await load(['/bench/trivial'])
const prices = await load(dates.map((d) => `/v1/prices?asOf=${d}`))
const oneProduct = await load(dates.map((d, i) => `/v1/prices?asOf=${d}&product=model-${i}-1`))
await app.close()

const summary = {
  machine: machine(),
  server: db.server,
  events: head,
  appendBatchEventsPerSec: Math.round(head / appendSeconds),
  rawPagedReadPerSec: Math.round(rawReadRate),
  catchUpSeconds: Number(catchUpSeconds.toFixed(1)),
  catchUpEventsPerSec: Math.round(head / catchUpSeconds),
  catchUpPerProjection: perProjection,
  visibleP50Ms: Number(pct(latencies, 50).toFixed(1)),
  visibleP99Ms: Number(pct(latencies, 99).toFixed(1)),
  trivialRoute: trivial,
  pricesAllProducts: prices,
  pricesOneProduct: oneProduct,
  asOfRatioToTrivial: Number((oneProduct.rps / trivial.rps).toFixed(2)),
}
await db.close()
console.log(JSON.stringify(summary, null, 2))
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(
  new URL('./results/projections-latest.json', import.meta.url),
  `${JSON.stringify(summary, null, 2)}\n`,
)
console.log(JSON.stringify(summary))
