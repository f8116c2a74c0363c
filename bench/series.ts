import { type Load, numbered, runLoad } from './load.js'

/** `GET /v1/series`: 60 monthly points of a price, and of a company's funding raised. */
export interface SeriesFigures {
  readonly price: Load
  readonly funding: Load
  /** The larger of the two p99s: the figure held to p99 < 50 ms. */
  readonly p99: number
}

/**
 * 10 connections on the API at `base`, each request a 60-point monthly series (2020-01 to
 * 2024-12) of another product or company. Every request names a knownAt of its own (past the
 * log's last recording, so the same knowledge as now): no answer comes from the answer cache, and
 * each is the one statement of its measure.
 */
export async function measureSeries(base: string, duration: number): Promise<SeriesFigures> {
  const load = (query: (n: number) => string): Promise<Load> =>
    runLoad({
      url: base,
      connections: 10,
      duration,
      requests: numbered(100_000, (n) => ({ path: `/v1/series?${query(n)}` })),
    })
  const span = 'interval=month&from=2020-01&to=2024-12'
  const knownAt = (n: number) => encodeURIComponent(new Date(Date.UTC(2100, 0, 1) + n).toISOString())
  const price = await load(
    (n) => `measure=price&product=model-${n % 300}-1&component=input&${span}&knownAt=${knownAt(n)}`,
  )
  const funding = await load(
    (n) => `measure=funding-raised&company=company-${n % 300}&${span}&knownAt=${knownAt(n)}`,
  )
  return { price, funding, p99: Math.max(price.p99, funding.p99) }
}
