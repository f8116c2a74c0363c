import { mkdir, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { type AppendFigures, measureAppend } from './append.js'
import { type ImportFigures, measureImport } from './import.js'
import {
  type GeneratedLog,
  generateLog,
  type HttpFigures,
  type Load,
  measureCatchUp,
  measureHttp,
  type ProjectionFigures,
} from './projections.js'
import { measureReplay, type ReplayFigures } from './reports.js'
import { machine, openBenchServer } from './support.js'
import { type FanOutFigures, measureFanOut } from './webhooks.js'

const usage = `npm run bench [-- --quick] [-- --only append,projections,http,reports,webhooks,import] [-- --events N,M]

Measures the service against PostgreSQL's own ceiling and a peer event store, in one run, on
its own PostgreSQL (embedded unless DATABASE_URL is set). Prints a table, then a JSON summary as
the last line, also written to bench/results/latest.json.
  --quick    a short version (logs of 10,000 and 100,000 events, fewer rounds, shorter loads)
  --only     some sections
  --events   sizes of the generated logs, comma-separated (default 100,000,1,000,000;
             10,000,100,000 with --quick). Projections, HTTP and reports are measured on each; the
             summary's figures are the largest log's, and its growth ratios the largest ÷ the smallest.`

const sections = ['append', 'projections', 'http', 'reports', 'webhooks', 'import'] as const
type Section = (typeof sections)[number]

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    events: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(usage)
  process.exit(0)
}
const quick = values.quick ?? false
const only = (values.only?.split(',') ?? [...sections]) as Section[]
const unknown = only.filter((s) => !sections.includes(s))
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; choose from ${sections.join(', ')}`)
  process.exit(2)
}
const sizes = (values.events?.split(',') ?? (quick ? ['10000', '100000'] : ['100000', '1000000']))
  .map(Number)
  .sort((a, b) => a - b)
if (sizes.some((size) => !Number.isInteger(size) || size < 1000)) {
  console.error('--events takes sizes of at least 1000 events, comma-separated')
  process.exit(2)
}

/** What the sections measured on one generated log. */
interface LogFigures {
  readonly log: Omit<GeneratedLog, 'db' | 'store'>
  readonly projection: ProjectionFigures | undefined
  readonly http: HttpFigures | undefined
  readonly replay: ReplayFigures | undefined
}

const server = await openBenchServer()
const started = performance.now()
const step = (what: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${what}`)

/** Generates a log of `size` events and measures on it the sections asked for. */
async function measureLog(size: number): Promise<LogFigures> {
  const at = `${size.toLocaleString('en')} events`
  step(`generating a log of ${at}`)
  const log = await generateLog(server, size)
  try {
    // The HTTP section asks the read models, so they catch up first whichever sections run.
    let projection: ProjectionFigures | undefined
    if (only.includes('projections') || only.includes('http')) {
      step(`${at}: projection catch-up from 0, then append-to-visible latency`)
      projection = await measureCatchUp(log)
    }
    let http: HttpFigures | undefined
    if (only.includes('http')) {
      step(
        `${at}: HTTP: trivial route, POST /v1/events, GET /v1/prices?asOf, GET /v1/funding, GET /v1/series, history, diff`,
      )
      http = await measureHttp(log, quick)
    }
    let replay: ReplayFigures | undefined
    if (only.includes('reports')) {
      step(`${at}: report replay: a market snapshot from position 0, each run in a process of its own`)
      replay = await measureReplay(log, quick ? 1 : 3)
    }
    const { db: _, store: __, ...figures } = log
    return { log: figures, projection, http, replay }
  } finally {
    await log.db.close()
  }
}

let append: AppendFigures | undefined
let fanOut: FanOutFigures | undefined
let imported: ImportFigures | undefined
const logs: LogFigures[] = []
try {
  if (only.includes('append')) {
    step('appends: store, raw INSERT, COPY, Emmett; global reads')
    append = await measureAppend(server, quick)
  }
  const logSections = only.filter((s) => s === 'projections' || s === 'http' || s === 'reports')
  for (const size of logSections.length > 0 ? sizes : []) {
    logs.push(await measureLog(size))
  }
  if (only.includes('webhooks')) {
    step('webhook fan-out to a receiver on 127.0.0.1')
    fanOut = await measureFanOut(server, quick)
  }
  if (only.includes('import')) {
    step('npm run import of an NDJSON file against the same batches posted directly')
    imported = await measureImport(server, quick ? 10_000 : 100_000)
  }
} finally {
  await server.close()
}
step('done')

/** The largest log's figures, and how they grew from the smallest: the summary speaks of both. */
const largest = logs.at(-1)
const smallest = logs.length > 1 ? logs[0] : undefined
const growth = (pick: (figures: LogFigures) => number | undefined): number | undefined => {
  const from = smallest && pick(smallest)
  const to = largest && pick(largest)
  return from !== undefined && to !== undefined && from > 0 ? Number((to / from).toFixed(2)) : undefined
}
const defined = (entries: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined))

const n = (x: number) => Math.round(x).toLocaleString('en')
const rows = [
  ...(append ? appendRows(append) : []),
  ...logs.flatMap(logRows),
  ...growthRows(),
  ...(fanOut
    ? [
        row(
          `webhook fan-out (${fanOut.subscriptions} subscriptions)`,
          `${n(fanOut.deliveriesPerSec)} deliveries/s`,
          `bare POSTs ${n(fanOut.rawPostsPerSec)}/s`,
          `${fanOut.fanOutRatioToRawPosts}`,
          '≥ 1,000/s',
        ),
      ]
    : []),
  ...(imported
    ? [
        row(
          `npm run import (${n(imported.events)} events, NDJSON)`,
          `${n(imported.importEventsPerSec)}/s`,
          `same batches posted ${n(imported.directEventsPerSec)}/s`,
          `${imported.importRatioToDirect}`,
          '≥ 0.8',
        ),
      ]
    : []),
]
console.log(`\n${machine()}; ${server.description}; ${quick ? 'quick' : 'full'} run`)
console.table(rows)

const summary = {
  ...(append
    ? {
        appendSingleRatio: append.appendSingleRatio,
        appendBatchRatio: append.appendBatchRatio,
        appendSingleVsEmmett: append.appendSingleVsEmmett,
        appendBatchVsEmmett: append.appendBatchVsEmmett,
        readVsEmmett: append.readVsEmmett,
        appendConcurrent10Ratio: append.appendConcurrent10Ratio,
        appendConcurrent50Ratio: append.appendConcurrent50Ratio,
        appendHttp10RatioToTrivial: append.appendHttp10RatioToTrivial,
      }
    : {}),
  ...(largest?.projection
    ? {
        catchUpEventsPerSec: largest.projection.catchUpEventsPerSec,
        visibleP99Ms: largest.projection.visibleP99Ms,
      }
    : {}),
  ...(largest?.http
    ? {
        asOfP99Ms: largest.http.pricesOneProduct.p99,
        asOfRatioToTrivial: largest.http.asOfRatioToTrivial,
        appendHttpReqPerSec: largest.http.appendOverHttp.rps,
        fullPriceListP99Ms: largest.http.pricesAllProducts.p99,
        fullPriceListReqPerSec: largest.http.pricesAllProducts.rps,
        fundingP99Ms: largest.http.funding.p99,
        wholeMarketDiffP99Ms: largest.http.wholeMarketDiff.p99,
        wholeMarketDiffComputedP99Ms: largest.http.wholeMarketDiffComputed.p99,
        seriesP99Ms: largest.http.series.p99,
        historyP99Ms: largest.http.history.company.p99,
        historyComputedP99Ms: largest.http.historyComputed.company.p99,
      }
    : {}),
  ...(largest?.replay
    ? {
        replayEventsPerSec: largest.replay.replayEventsPerSec,
        replayPeakRssMb: largest.replay.replayPeakRssMb,
      }
    : {}),
  ...(fanOut ? { fanOutDeliveriesPerSec: fanOut.deliveriesPerSec } : {}),
  ...(imported
    ? { importEventsPerSec: imported.importEventsPerSec, importRatioToDirect: imported.importRatioToDirect }
    : {}),
  ...defined({
    asOfP99GrowthRatio: growth((f) => f.http?.pricesOneProduct.p99),
    fullPriceListP99GrowthRatio: growth((f) => f.http?.pricesAllProducts.p99),
    fundingP99GrowthRatio: growth((f) => f.http?.funding.p99),
    catchUpGrowthRatio: growth((f) => f.projection?.catchUpEventsPerSec),
    replayGrowthRatio: growth((f) => f.replay?.replayEventsPerSec),
  }),
}
const details = {
  date: new Date().toISOString(),
  machine: machine(),
  server: server.description,
  quick,
  events: largest?.log.head,
  summary,
  append,
  logs,
  fanOut,
  imported,
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(details, null, 2)}\n`)
console.log(JSON.stringify(summary))

function row(measurement: string, result: string, reference: string, ratio: string, goal: string) {
  return { measurement, result, reference, ratio, goal }
}

function appendRows(append: AppendFigures) {
  return [
    row(
      'append, 1 event per call',
      `${n(append.appendSinglePerSec)}/s`,
      `raw INSERT ${n(append.rawSinglePerSec)}/s`,
      `${append.appendSingleRatio}`,
      '≥ 0.8',
    ),
    row('', '', `Emmett ${n(append.emmettSinglePerSec)}/s`, `${append.appendSingleVsEmmett}`, '≥ 1.3'),
    row(
      'append, 100 events per call',
      `${n(append.appendBatchEventsPerSec)}/s`,
      `multi-row INSERT ${n(append.rawBatchRowsPerSec)}/s`,
      `${append.appendBatchRatio}`,
      '≥ 0.8',
    ),
    row('', '', `COPY ${n(append.copyBatchRowsPerSec)}/s`, `${append.appendBatchVsCopy}`, ''),
    row('', '', `Emmett ${n(append.emmettBatchEventsPerSec)}/s`, `${append.appendBatchVsEmmett}`, '≥ 1.3'),
    ...append.concurrent.map((c) =>
      row(
        `append, ${c.writers} concurrent writer${c.writers > 1 ? 's' : ''} of 1 event`,
        `${n(c.storePerSec)}/s`,
        `raw INSERT, ${c.writers} client${c.writers > 1 ? 's' : ''} ${n(c.rawPerSec)}/s`,
        `${c.ratio}`,
        c.writers > 1 ? '≥ 0.8' : '',
      ),
    ),
    ...append.http.map((h) =>
      row(
        `POST /v1/events (1 event), ${h.connections} connections`,
        `${n(h.append.rps)} req/s, p99 ${h.append.p99} ms`,
        `trivial route ${n(h.trivial.rps)} req/s`,
        `${h.ratio}`,
        h.connections === 10 ? '≥ 0.5' : '',
      ),
    ),
    row(
      'global read, pages of 1000',
      `${n(append.readLogPerSec)}/s`,
      `Emmett ${n(append.emmettReadPerSec)}/s`,
      `${append.readVsEmmett}`,
      '',
    ),
  ]
}

function logRows({ log, projection, http, replay }: LogFigures) {
  const at = `[${n(log.head)}]`
  const load = (l: Load) => `${n(l.rps)} req/s, p99 ${l.p99} ms`
  return [
    row(
      `${at} generated log, batches of 1000`,
      `${n(log.appendBatchOf1000PerSec)}/s`,
      `raw paged read ${n(log.rawPagedReadPerSec)}/s`,
      '',
      '',
    ),
    ...(projection
      ? [
          row(
            `${at} projection catch-up from 0`,
            `${n(projection.catchUpEventsPerSec)} events/s`,
            '',
            '',
            '≥ 30,000',
          ),
          row(
            `${at} append → visible, light load`,
            `p50 ${projection.visibleP50Ms} ms, p99 ${projection.visibleP99Ms} ms`,
            '',
            '',
            'p99 < 1 s',
          ),
        ]
      : []),
    ...(http
      ? [
          row(
            `${at} GET /v1/prices?asOf&product`,
            load(http.pricesOneProduct),
            `trivial route ${n(http.trivialRoute.rps)} req/s`,
            `${http.asOfRatioToTrivial}`,
            'p99 < 25 ms, ≥ 0.5',
          ),
          row(`${at} GET /v1/prices?asOf (all)`, load(http.pricesAllProducts), '', '', 'p99 < 100 ms'),
          row(`${at} GET /v1/funding?asOf (a page)`, load(http.funding), '', '', 'p99 < 100 ms'),
          row(`${at} GET /v1/series (60 months of a price)`, load(http.series.price), '', '', 'p99 < 50 ms'),
          row(
            `${at} GET /v1/series (60 months of funding)`,
            load(http.series.funding),
            '',
            '',
            'p99 < 50 ms',
          ),
          row(
            `${at} GET /v1/subjects/:subject/history (a company)`,
            load(http.history.company),
            '',
            '',
            'p99 < 50 ms',
          ),
          row(`${at} GET /v1/subjects/:subject/history (a product)`, load(http.history.product), '', '', ''),
          row(
            `${at} GET /v1/subjects/:subject/history (a company, computed at the request)`,
            load(http.historyComputed.company),
            '',
            '',
            '',
          ),
          row(
            `${at} GET /v1/subjects/:subject/history (a product, computed at the request)`,
            load(http.historyComputed.product),
            '',
            '',
            '',
          ),
          row(
            `${at} keeping every subject's history (one turn of one worker)`,
            `${http.historyKeepingSeconds} s`,
            '',
            '',
            '',
          ),
          row(
            `${at} GET /v1/diff (whole market, two month ends)`,
            load(http.wholeMarketDiff),
            '',
            '',
            'p99 < 250 ms',
          ),
          row(
            `${at} GET /v1/diff (whole market, two month ends, computed at the request)`,
            load(http.wholeMarketDiffComputed),
            '',
            '',
            '',
          ),
          row(
            `${at} POST /v1/events (1 event)`,
            load(http.appendOverHttp),
            `trivial route ${n(http.trivialRoute.rps)} req/s`,
            `${http.appendHttpRatioToTrivial}`,
            '',
          ),
        ]
      : []),
    ...(replay
      ? [
          row(
            `${at} report replay (market snapshot)`,
            `${n(replay.replayEventsPerSec)} events/s`,
            `raw paged read ${n(log.rawPagedReadPerSec)}/s`,
            '',
            '≥ 100,000',
          ),
          row(
            `${at} … its peak RSS`,
            `${replay.replayPeakRssMb} MB`,
            `${replay.replayStartRssMb} MB before it`,
            '',
            '< 300 MB',
          ),
        ]
      : []),
  ]
}

/** Figure at the largest log ÷ figure at the smallest, for each that was measured on both. */
function growthRows() {
  if (!smallest || !largest) return []
  const of = `${n(largest.log.head)} ÷ ${n(smallest.log.head)} events`
  const ratios: Array<[string, number | undefined, string]> = [
    ['growth: as-of p99 (one product)', growth((f) => f.http?.pricesOneProduct.p99), '≤ 1.5'],
    ['growth: full price list p99', growth((f) => f.http?.pricesAllProducts.p99), '≤ 1.5'],
    ['growth: funding p99', growth((f) => f.http?.funding.p99), '≤ 1.5'],
    ['growth: catch-up rate', growth((f) => f.projection?.catchUpEventsPerSec), '≥ 0.8'],
    ['growth: replay rate', growth((f) => f.replay?.replayEventsPerSec), '≥ 0.8'],
  ]
  return ratios.flatMap(([what, ratio, goal]) =>
    ratio === undefined ? [] : [row(what, '', of, `${ratio}`, goal)],
  )
}
