import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { catalogue } from '../events/index.js'
import { projections } from '../projections/index.js'
import { keepHistories, newKeepState } from '../src/history/kept.js'
import { catchUp } from '../src/projector/catch-up.js'
import { ensureProjections } from '../src/projector/generations.js'
import { startProjector } from '../src/projector/projector.js'
import { createEventStore, type EventStore } from '../src/store/event-store.js'
import { batches, generateHistory } from '../test/support/generate.js'
import { type HistoryFigures, measureHistory } from './history.js'
import { type Load, type LoadRequest, numbered, priceAppends, runLoad } from './load.js'
import { measureSeries, type SeriesFigures } from './series.js'
import { type BenchDatabase, type BenchServer, ratio, silentLog, startBenchApi } from './support.js'

/** A generated log (seed 42) that several sections measure: projections, HTTP, report replay. */
export interface GeneratedLog {
  readonly db: BenchDatabase
  readonly store: EventStore
  readonly head: number
  readonly appendBatchOf1000PerSec: number
  readonly rawPagedReadPerSec: number
}

export async function generateLog(server: BenchServer, total: number): Promise<GeneratedLog> {
  const db = await server.newDatabase()
  const store = createEventStore(db.handle.db, catalogue, 'UTC')
  await ensureProjections(db.handle.db, projections)
  let started = performance.now()
  for (const batch of batches(generateHistory(42, total, { companies: 300 }), 1000)) await store.append(batch)
  const appendSeconds = (performance.now() - started) / 1000
  const head = await store.headPosition()

  // A raw paged read of the whole log, for reference.
  started = performance.now()
  for (let after = 0; ; ) {
    const { rows } = await sql<{ position: number }>`
      select * from events where position > ${after} order by position limit 5000
    `.execute(db.handle.db)
    const last = rows.at(-1)
    if (!last) break
    after = last.position
  }
  return {
    db,
    store,
    head,
    appendBatchOf1000PerSec: Math.round(head / appendSeconds),
    rawPagedReadPerSec: Math.round(head / ((performance.now() - started) / 1000)),
  }
}

export interface ProjectionFigures {
  readonly catchUpEventsPerSec: number
  readonly catchUpSeconds: number
  readonly catchUpPerProjection: Record<string, number>
  readonly visibleP50Ms: number
  readonly visibleP99Ms: number
}

/** Catch-up of every projection from 0, as one worker does it; then append-to-visible latency. */
export async function measureCatchUp(log: GeneratedLog): Promise<ProjectionFigures> {
  const { db, store, head } = log
  const started = performance.now()
  const projector = startProjector({
    db: db.handle.db,
    store,
    projections,
    databaseUrl: db.url,
    log: silentLog,
    batchSize: 5000,
  })
  const perProjection: Record<string, number> = {}
  for (;;) {
    const rows = await db.handle.db
      .selectFrom('projection_checkpoints')
      .select(['name', 'position'])
      .execute()
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
  return {
    catchUpEventsPerSec: Math.round(head / catchUpSeconds),
    catchUpSeconds: Number(catchUpSeconds.toFixed(1)),
    catchUpPerProjection: perProjection,
    visibleP50Ms: Number(percentile(latencies, 50).toFixed(1)),
    visibleP99Ms: Number(percentile(latencies, 99).toFixed(1)),
  }
}

export type { Load } from './load.js'

export interface HttpFigures {
  readonly trivialRoute: Load
  readonly appendOverHttp: Load
  readonly pricesAllProducts: Load
  readonly pricesOneProduct: Load
  /** The first page of `GET /v1/funding` (100 rounds). */
  readonly funding: Load
  /** `GET /v1/diff` of the whole market between two month ends (four, rotated; kept after their first). */
  readonly wholeMarketDiff: Load
  /** The same diffs, each computed at the request (a knownAt of its own). */
  readonly wholeMarketDiffComputed: Load
  readonly series: SeriesFigures
  /** `GET /v1/subjects/:subject/history` of a company and of a product, kept by the workers ahead. */
  readonly history: HistoryFigures
  /** The same, before the workers kept them: each computed at the request. */
  readonly historyComputed: HistoryFigures
  /** How long one worker's keeper took to make every subject's history, after the catch-up. */
  readonly historyKeepingSeconds: number
  readonly asOfRatioToTrivial: number
  readonly appendHttpRatioToTrivial: number
}

/**
 * The API in this process, 10 autocannon connections fired from a worker thread (bench/load.ts):
 * appends, as-of queries, the funding answer, a
 * trivial route. Each query rotates over six dates that no request asked before it, so its load
 * starts with the first computation of each answer (ten connections asking for it at once).
 */
export async function measureHttp(log: GeneratedLog, quick: boolean): Promise<HttpFigures> {
  const { db, store } = log
  const { app, url: base, adminKey } = await startBenchApi(db, store)
  const duration = quick ? 5 : 10
  /** A load of `duration` seconds, or of `amount` requests (each answered, however long it takes). */
  const load = (requests: readonly LoadRequest[], amount?: number): Promise<Load> =>
    runLoad({ url: base, connections: 10, requests, ...(amount ? { amount } : { duration }) })
  const rotating = (paths: readonly string[]): LoadRequest[] => paths.map((path) => ({ path }))
  const dates = ['2020-06', '2021-03', '2022-09', '2023-05-10', '2024-01', '2024-12-31']
  const trivialRoute = await load(rotating(['/bench/trivial']))
  const appendOverHttp = await load(
    priceAppends(adminKey, { prefix: 'http-probe', subjects: 100, count: 100_000 }),
  )
  const pricesAllProducts = await load(rotating(dates.map((d) => `/v1/prices?asOf=${d}`)))
  const pricesOneProduct = await load(
    rotating(dates.map((d, i) => `/v1/prices?asOf=${d}&product=model-${i}-1`)),
  )
  const funding = await load(rotating(dates.map((d) => `/v1/funding?asOf=${d}`)))
  const slowAnswers = quick ? 10 : 20
  const monthEnds = ['2020-05', '2020-06', '2021-02', '2021-03', '2022-08', '2022-09', '2023-12', '2024-01']
  // The series first: a slow diff still being answered would wait in their way.
  const series = await measureSeries(base, duration)
  const historyComputed = await measureHistory(base, duration, 300, slowAnswers)
  const historyKeepingSeconds = await keepEveryHistory(db, store)
  const kept = await fetch(`${base}/v1/subjects/company-0/history`)
  if (kept.headers.get('x-history-answer') !== 'kept') throw new Error('the histories were not kept')
  // Kept answers come in milliseconds: a load of `duration` seconds, as the series', not twenty requests.
  const history = await measureHistory(base, duration, 300)
  const pairs = monthEnds.flatMap((from, i) => (i % 2 ? [] : [[from, monthEnds[i + 1] as string] as const]))
  // Computed at every request: each names a knownAt of its own (past the log's last recording, the
  // same knowledge as now), so none is a kept answer. A fixed number of requests, each waited for,
  // rather than a duration that would end before the first answer.
  const wholeMarketDiffComputed = await load(
    numbered(slowAnswers, (m) => {
      const [from, to] = pairs[m % pairs.length] as readonly [string, string]
      const knownAt = encodeURIComponent(new Date(Date.UTC(2100, 0, 1) + m).toISOString())
      return { path: `/v1/diff?fromAsOf=${from}&toAsOf=${to}&fromKnownAt=${knownAt}&toKnownAt=${knownAt}` }
    }),
    slowAnswers,
  )
  // As the as-of queries are measured: four diffs no request asked before, rotated, so that the load
  // starts with their first computation (ten connections asking at once), and then their kept answers.
  const wholeMarketDiff = await load(
    rotating(pairs.map(([from, to]) => `/v1/diff?fromAsOf=${from}&toAsOf=${to}`)),
  )
  await app.close()
  return {
    trivialRoute,
    appendOverHttp,
    pricesAllProducts,
    pricesOneProduct,
    funding,
    wholeMarketDiff,
    wholeMarketDiffComputed,
    series,
    history,
    historyComputed,
    historyKeepingSeconds,
    asOfRatioToTrivial: ratio(pricesOneProduct.rps, trivialRoute.rps),
    appendHttpRatioToTrivial: ratio(appendOverHttp.rps, trivialRoute.rps),
  }
}

/**
 * One turn of the history keeper, as a worker makes it once its projector has applied the log
 * (the loads before appended to it): the read models first catch up, then the turn is timed.
 */
async function keepEveryHistory(db: BenchDatabase, store: EventStore): Promise<number> {
  const { rows } = await sql<{ name: string; live_generation: number }>`
    select name, live_generation from projections
  `.execute(db.handle.db)
  for (const projection of projections) {
    const generation = rows.find((r) => r.name === projection.name)?.live_generation
    if (generation !== undefined) await catchUp(db.handle.db, store, projection, generation, 5000)
  }
  const started = performance.now()
  await keepHistories(
    {
      db: db.handle.db,
      comparables: projections.flatMap((p) => p.comparables ?? []),
      marketTz: 'UTC',
      stopping: () => false,
    },
    newKeepState(),
    await store.headPosition(),
  )
  return Math.round((performance.now() - started) / 100) / 10
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}
