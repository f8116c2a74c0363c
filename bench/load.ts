import { Worker } from 'node:worker_threads'

/** One request of a load, as autocannon sends it. */
export interface LoadRequest {
  readonly method?: 'GET' | 'POST'
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/** What a load measured: answers per second, latency percentiles in ms, errors and non-2xx answers. */
export interface Load {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

export interface LoadOptions {
  /** Where the API listens: http://127.0.0.1:port. */
  readonly url: string
  readonly connections: number
  /** Taken in turn, round and round: give as many as the load may send where each must differ. */
  readonly requests: readonly LoadRequest[]
  /** A load of this many seconds… */
  readonly duration?: number
  /** …or of this many requests, each answered however long it takes. */
  readonly amount?: number
}

/**
 * An autocannon load on the API, fired from a worker thread: the client's work (it reads every
 * answer into a string) runs beside the API's event loop and heap, not in them, as a client in a
 * process of its own would.
 */
export async function runLoad(options: LoadOptions): Promise<Load> {
  const { amount, duration, ...rest } = options
  const workerData = {
    ...rest,
    requests: [...rest.requests],
    ...(amount ? { amount, timeout: 300 } : { duration }),
  }
  const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), { workerData })
  return new Promise<Load>((resolve, reject) => {
    worker.once('message', (load: Load) => resolve(load))
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the load's worker exited (${code}) without its figures`)))
  })
}

/**
 * `count` requests, the nth made by `make(n)`: for a load whose requests must each differ (a knownAt
 * of its own), as many as it can send at the rates measured here (they are then taken again).
 */
export function numbered(count: number, make: (n: number) => LoadRequest): LoadRequest[] {
  return Array.from({ length: count }, (_, n) => make(n))
}

/**
 * `count` appends over HTTP, one price change each, numbered from `first`, each a distinct amount
 * on one of `subjects` products named `${prefix}-N`.
 */
export function priceAppends(
  adminKey: string,
  options: { prefix: string; subjects: number; count: number; first?: number },
): LoadRequest[] {
  const { prefix, subjects, count, first = 0 } = options
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }
  return numbered(count, (i) => {
    const n = first + i
    const data = { component: 'input', amount: String(n), currency: 'CNY', unit: '1K tokens' }
    const event = { type: 'price.changed', subject: `${prefix}-${n % subjects}`, occurredAt: '2024-06', data }
    return { method: 'POST', path: '/v1/events', headers, body: JSON.stringify({ events: [event] }) }
  })
}
