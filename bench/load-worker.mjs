// One HTTP load, run by bench/load.ts in a worker thread of its own: autocannon reads every answer
// into a string, which in the API's thread would put its allocations and its parsing in the way of
// the answers it measures. The requests are taken in turn, round and round.
import { parentPort, workerData } from 'node:worker_threads'
import autocannon from 'autocannon'

const { requests, ...options } = workerData
let next = 0
const load = {
  ...options,
  requests: [{ setupRequest: (req) => ({ ...req, ...requests[next++ % requests.length] }) }],
}
// Off the main thread autocannon answers its histograms encoded, for its own workers to merge.
const raw = await autocannon(load)
const { latency } = autocannon.aggregateResult([raw], load)
parentPort?.postMessage({
  rps: Math.round(raw.totalCompletedRequests / raw.duration),
  p50: latency.p50,
  p99: latency.p99,
  errors: raw.errors + raw.non2xx,
})
