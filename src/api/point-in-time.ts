import { endOfDate } from '../queries/market-dates.js'
import type { Instants } from '../queries/query.js'

/** `asOf`/`knownAt` as instants: the end of a given date (or the instant given), else now. */
export function instantsOf(given: { asOf?: string; knownAt?: string }, marketTz: string): Instants {
  const now = new Date()
  return {
    asOf: endOfDate('asOf', given.asOf, marketTz) ?? now,
    knownAt: endOfDate('knownAt', given.knownAt, marketTz) ?? now,
  }
}
