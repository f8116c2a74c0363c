import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { sql } from 'kysely'
import { catalogue } from '../events/index.js'
import { marketSnapshot } from '../reports/market-snapshot.js'
import { connectDatabase } from '../src/db/connect.js'
import { replayReport } from '../src/reports/replay.js'
import { createEventStore } from '../src/store/event-store.js'
import { batches, generateHistory } from '../test/support/generate.js'
import { machine, median, openBenchDatabase } from './support.js'

/**
 * A market-snapshot report replayed over a generated log: events per second and peak RSS.
 * `--events N` (default 1,000,000; `--quick` 100,000), `--runs N` (default 3). Each replay runs
 * in a process of its own, so that its peak RSS is the replay's (Node and the modules
 * included), not that of generating and appending the log.
 */
const replayArg = process.argv.indexOf('--replay')
if (replayArg > 0) {
  await replayOnce(process.argv[replayArg + 1] as string)
  process.exit(0)
}

const quick = process.argv.includes('--quick')
const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}
const total = option('--events', quick ? 100_000 : 1_000_000)
const runs = option('--runs', 3)

const db = await openBenchDatabase()
const store = createEventStore(db.handle.db, catalogue, 'UTC')
let started = performance.now()
for (const batch of batches(generateHistory(42, total, { companies: 300 }), 1000)) await store.append(batch)
const head = await store.headPosition()
console.log(`appended ${head} events in ${((performance.now() - started) / 1000).toFixed(1)} s`)
await sql`vacuum analyze events`.execute(db.handle.db)

// Reference: a raw paged read of the whole log, every column, as bench:projections reads it.
started = performance.now()
for (let after = 0; ; ) {
  const { rows } = await sql<{ position: number }>`
    select * from events where position > ${after} order by position limit 10000
  `.execute(db.handle.db)
  const last = rows.at(-1)
  if (!last) break
  after = last.position
}
const rawReadPerSec = Math.round(head / ((performance.now() - started) / 1000))
console.log(`raw paged read: ${rawReadPerSec} rows/s`)

interface ReplayRun {
  seconds: number
  eventsReplayed: number
  position: number
  peakRssMb: number
  startRssMb: number
}
const results: ReplayRun[] = []
for (let i = 0; i < runs; i++) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/reports.ts', '--replay', db.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`replay run ${i + 1} exited with ${code}`)
  const run = JSON.parse(out) as ReplayRun
  results.push(run)
  console.log(
    `replay ${i + 1}: ${run.seconds.toFixed(2)} s, ${Math.round(head / run.seconds)} log events/s, ` +
      `peak RSS ${run.peakRssMb} MB (${run.startRssMb} MB before the replay)`,
  )
}
await db.close()

const seconds = median(results.map((r) => r.seconds))
const summary = {
  machine: machine(),
  server: db.server,
  command: `npm run bench:reports${quick ? ' -- --quick' : ''}`,
  report: 'market-snapshot',
  events: head,
  eventsRead: results[0]?.eventsReplayed,
  runs: results.length,
  medianSeconds: Number(seconds.toFixed(2)),
  medianLogEventsPerSec: Math.round(head / seconds),
  medianEventsReadPerSec: Math.round((results[0]?.eventsReplayed ?? 0) / seconds),
  medianPeakRssMb: median(results.map((r) => r.peakRssMb)),
  maxPeakRssMb: Math.max(...results.map((r) => r.peakRssMb)),
  medianStartRssMb: median(results.map((r) => r.startRssMb)),
  rawPagedReadRowsPerSec: rawReadPerSec,
  goals: { eventsPerSec: 100_000, peakRssMb: 300 },
  runsDetail: results,
}
console.log(JSON.stringify(summary, null, 2))
if (!quick) {
  await mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await writeFile(new URL('./results/reports.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`)
}

/** One replay of the whole log, in this process; prints its figures as JSON. */
async function replayOnce(url: string): Promise<void> {
  const handle = connectDatabase(url, { max: 2 })
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20)
  const startRss = process.memoryUsage.rss()
  const now = Date.now()
  const t0 = performance.now()
  const output = await replayReport(handle.db, catalogue, marketSnapshot, {
    asOf: now,
    knownAt: now,
    from: null,
    to: null,
  })
  const seconds = (performance.now() - t0) / 1000
  await handle.close()
  const run: ReplayRun = {
    seconds,
    eventsReplayed: output.eventsReplayed,
    position: output.position,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    startRssMb: mb(startRss),
  }
  process.stdout.write(JSON.stringify(run))
}
