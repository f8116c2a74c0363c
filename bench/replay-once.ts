import { catalogue } from '../events/index.js'
import { marketSnapshot } from '../reports/market-snapshot.js'
import { connectDatabase } from '../src/db/connect.js'
import { replayReport } from '../src/reports/replay.js'

/**
 * One market-snapshot replay of the whole log at `process.argv[2]`, in a process of its own so
 * that its peak RSS is the replay's (Node and the modules included); prints its figures as JSON.
 */
const url = process.argv[2]
if (!url) throw new Error('usage: replay-once.ts DATABASE_URL')
const handle = connectDatabase(url, { max: 2 })
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
process.stdout.write(
  JSON.stringify({
    seconds,
    eventsReplayed: output.eventsReplayed,
    position: output.position,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    startRssMb: Math.round(startRss / 2 ** 20),
  }),
)
