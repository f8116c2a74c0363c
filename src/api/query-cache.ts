import type { CacheRule, Instants } from '../queries/query.js'

interface GivenPointInTime {
  readonly asOf?: string
  readonly knownAt?: string
  readonly reportedBy?: string
  readonly consistentWith?: number
}

/**
 * Whether an answer may come from the answer cache: never for read-your-writes (it is computed
 * fresh after the wait), and, for a query that takes `asOf`, only when `asOf` pins the valid time
 * (a defaulted one is "now", which moves).
 */
export function cacheable(rule: CacheRule, given: GivenPointInTime): boolean {
  if (given.consistentWith !== undefined) return false
  return rule === 'always' || given.asOf !== undefined
}

/**
 * The request as a cache key: its operation, parameters and query string, with the point in time
 * as instants. A defaulted `knownAt` ("now") stands for the latest the read models know: the cache
 * is dropped whenever they move. `include` is left out: sources are attached after the cache, so
 * an answer with them and one without share their kept part.
 */
export function cacheKeyOf(
  operationId: string,
  params: object,
  query: GivenPointInTime & Readonly<Record<string, unknown>>,
  at: Instants,
): string {
  const { asOf, knownAt, reportedBy, consistentWith: _, include: __, ...rest } = query
  const pointInTime = {
    ...(asOf === undefined ? {} : { asOf: at.asOf }),
    knownAt: knownAt === undefined ? 'latest' : at.knownAt,
    ...(reportedBy === undefined ? {} : { reportedBy: at.reportedBy }),
  }
  return `${operationId}:${JSON.stringify([params, sorted(rest), pointInTime])}`
}

/** The same parameters in any order make the same key. */
function sorted(values: object): [string, unknown][] {
  return Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
