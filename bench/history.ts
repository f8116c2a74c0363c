import { type Load, numbered, runLoad } from './load.js'

/**
 * `GET /v1/subjects/:subject/history` of one company, then of one product, at 10 connections on
 * the API at `base`, each request another subject of the generated log (company-N, model-N-1) and
 * a knownAt of its own past the log's last recording (the same knowledge as now), so that no two
 * requests ask the same thing. The figure held to p99 < 50 ms is the company's.
 */
export interface HistoryFigures {
  readonly company: Load
  readonly product: Load
}

export async function measureHistory(
  base: string,
  duration: number,
  subjects = 300,
  /** A fixed number of requests per load, each waited for, instead of `duration` seconds. */
  amount?: number,
): Promise<HistoryFigures> {
  const load = (path: (n: number) => string): Promise<Load> =>
    runLoad({
      url: base,
      connections: 10,
      ...(amount ? { amount } : { duration }),
      requests: numbered(amount ?? 100_000, (n) => ({ path: path(n) })),
    })
  const knownAt = (n: number) => encodeURIComponent(new Date(Date.UTC(2100, 0, 1) + n).toISOString())
  const company = await load((n) => `/v1/subjects/company-${n % subjects}/history?knownAt=${knownAt(n)}`)
  const product = await load((n) => `/v1/subjects/model-${n % subjects}-1/history?knownAt=${knownAt(n)}`)
  return { company, product }
}
