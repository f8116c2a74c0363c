import { endOfDate } from '../queries/market-dates.js'
import type { Instants } from '../queries/query.js'

/**
 * `asOf`/`knownAt` as instants: the end of a given date (or the instant given), else now;
 * `reportedBy` the end of a given date, else none.
 */
export function instantsOf(
  given: { asOf?: string; knownAt?: string; reportedBy?: string },
  marketTz: string,
): Instants {
  const now = new Date()
  const reportedBy = endOfDate('reportedBy', given.reportedBy, marketTz)
  return {
    asOf: endOfDate('asOf', given.asOf, marketTz) ?? now,
    knownAt: endOfDate('knownAt', given.knownAt, marketTz) ?? now,
    ...(reportedBy === undefined ? {} : { reportedBy }),
  }
}
