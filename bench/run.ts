import { mkdir, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { type AppendFigures, measureAppend } from './append.js'
import {
  type GeneratedLog,
  generateLog,
  type HttpFigures,
  measureCatchUp,
  measureHttp,
  type ProjectionFigures,
} from './projections.js'
import { measureReplay, type ReplayFigures } from './reports.js'
import { machine, openBenchServer } from './support.js'
import { type FanOutFigures, measureFanOut } from './webhooks.js'

const usage = `npm run bench [-- --quick] [-- --only append,projections,http,reports,webhooks] [-- --events N]

Measures the service against PostgreSQL's own ceiling and a peer event store, in one run, on
its own PostgreSQL (embedded unless DATABASE_URL is set). Prints a table, then a JSON summary as
the last line, also written to bench/results/latest.json.
  --quick    a short version (a 100,000-event log, fewer rounds)
  --only     some sections
  --events   size of the generated log (default 1,000,000; 100,000 with --quick)`

const sections = ['append', 'projections', 'http', 'reports', 'webhooks'] as const
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
const events = Number(values.events ?? (quick ? 100_000 : 1_000_000))

const server = await openBenchServer()
const started = performance.now()
const step = (what: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${what}`)

let append: AppendFigures | undefined
let projection: ProjectionFigures | undefined
let http: HttpFigures | undefined
let fanOut: FanOutFigures | undefined
let replay: ReplayFigures | undefined
let log: GeneratedLog | undefined
try {
  if (only.includes('append')) {
    step('appends: store, raw INSERT, COPY, Emmett; global reads')
    append = await measureAppend(server, quick)
  }
  if (only.some((s) => s === 'projections' || s === 'http' || s === 'reports')) {
    step(`generating a log of ${events.toLocaleString('en')} events`)
    log = await generateLog(server, events)
  }
  if (log && only.includes('projections')) {
    step('projection catch-up from 0, then append-to-visible latency')
    projection = await measureCatchUp(log)
  }
  if (log && only.includes('http')) {
    step('HTTP: trivial route, POST /v1/events, GET /v1/prices?asOf')
    http = await measureHttp(log, quick)
  }
  if (log && only.includes('reports')) {
    step('report replay: a market snapshot from position 0, each run in a process of its own')
    replay = await measureReplay(log, quick ? 1 : 3)
  }
  await log?.db.close()
  if (only.includes('webhooks')) {
    step('webhook fan-out to a receiver on 127.0.0.1')
    fanOut = await measureFanOut(server, quick)
  }
} finally {
  await server.close()
}
step('done')

const row = (measurement: string, result: string, reference: string, ratio: string, goal: string) => ({
  measurement,
  result,
  reference,
  ratio,
  goal,
})
const n = (x: number) => Math.round(x).toLocaleString('en')
const rows = [
  ...(append
    ? [
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
        row(
          '',
          '',
          `Emmett ${n(append.emmettBatchEventsPerSec)}/s`,
          `${append.appendBatchVsEmmett}`,
          '≥ 1.3',
        ),
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
    : []),
  ...(log
    ? [
        row(
          `generated log (${n(log.head)} events), batches of 1000`,
          `${n(log.appendBatchOf1000PerSec)}/s`,
          `raw paged read ${n(log.rawPagedReadPerSec)}/s`,
          '',
          '',
        ),
      ]
    : []),
  ...(projection
    ? [
        row(
          'projection catch-up from 0',
          `${n(projection.catchUpEventsPerSec)} events/s`,
          '',
          '',
          '≥ 30,000',
        ),
        row(
          'append → visible, light load',
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
          'GET /v1/prices?asOf&product',
          `${n(http.pricesOneProduct.rps)} req/s, p99 ${http.pricesOneProduct.p99} ms`,
          `trivial route ${n(http.trivialRoute.rps)} req/s`,
          `${http.asOfRatioToTrivial}`,
          'p99 < 25 ms, ≥ 0.5',
        ),
        row(
          'GET /v1/prices?asOf (all)',
          `${n(http.pricesAllProducts.rps)} req/s, p99 ${http.pricesAllProducts.p99} ms`,
          '',
          '',
          '',
        ),
        row(
          'POST /v1/events (1 event)',
          `${n(http.appendOverHttp.rps)} req/s, p99 ${http.appendOverHttp.p99} ms`,
          `trivial route ${n(http.trivialRoute.rps)} req/s`,
          `${http.appendHttpRatioToTrivial}`,
          '',
        ),
      ]
    : []),
  ...(replay
    ? [
        row(
          'report replay (market snapshot)',
          `${n(replay.replayEventsPerSec)} events/s`,
          `raw paged read ${n(log?.rawPagedReadPerSec ?? 0)}/s`,
          '',
          '≥ 100,000',
        ),
        row(
          '… its peak RSS',
          `${replay.replayPeakRssMb} MB`,
          `${replay.replayStartRssMb} MB before it`,
          '',
          '< 300 MB',
        ),
      ]
    : []),
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
  ...(projection
    ? { catchUpEventsPerSec: projection.catchUpEventsPerSec, visibleP99Ms: projection.visibleP99Ms }
    : {}),
  ...(http
    ? {
        asOfP99Ms: http.pricesOneProduct.p99,
        asOfRatioToTrivial: http.asOfRatioToTrivial,
        appendHttpReqPerSec: http.appendOverHttp.rps,
      }
    : {}),
  ...(replay
    ? { replayEventsPerSec: replay.replayEventsPerSec, replayPeakRssMb: replay.replayPeakRssMb }
    : {}),
  ...(fanOut ? { fanOutDeliveriesPerSec: fanOut.deliveriesPerSec } : {}),
}
const details = {
  date: new Date().toISOString(),
  machine: machine(),
  server: server.description,
  quick,
  events: log?.head,
  summary,
  append,
  log: log
    ? { appendBatchOf1000PerSec: log.appendBatchOf1000PerSec, rawPagedReadPerSec: log.rawPagedReadPerSec }
    : undefined,
  projection,
  http,
  replay,
  fanOut,
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(details, null, 2)}\n`)
console.log(JSON.stringify(summary))
