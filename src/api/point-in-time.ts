import { Type } from 'typebox'
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

const ReportedByEcho = Type.String({
  format: 'date-time',
  description: 'The reportedBy asked, as an instant: only facts and retractions published by then counted.',
})

/** An answer schema that states `knownAt` also states `reportedBy` after it, when asked. */
export function withReportedByProperty<T extends object>(schema: T): T {
  const { properties } = schema as { properties?: Record<string, unknown> }
  if (!properties || !('knownAt' in properties) || 'reportedBy' in properties) return schema
  const entries = Object.entries(properties).flatMap(([name, part]) =>
    name === 'knownAt'
      ? [
          [name, part],
          ['reportedBy', Type.Optional(ReportedByEcho)],
        ]
      : [[name, part]],
  )
  // Spread keeps TypeBox's own symbol keys; `required` is unchanged, as the new property is optional.
  return { ...schema, properties: Object.fromEntries(entries) }
}

/** The answer with the `reportedBy` asked beside its `knownAt`; as it was without one. */
export function echoReportedBy(answer: unknown, at: Instants): unknown {
  if (at.reportedBy === undefined || typeof answer !== 'object' || answer === null || !('knownAt' in answer))
    return answer
  return { ...answer, reportedBy: at.reportedBy.toISOString() }
}

/** The two points of a diff, as `instantsOf` reads them: one "now" for every date not given. */
export function diffPointsOf(
  given: { fromAsOf: string; toAsOf?: string; fromKnownAt?: string; toKnownAt?: string; reportedBy?: string },
  marketTz: string,
): { from: { asOf: Date; knownAt: Date }; to: { asOf: Date; knownAt: Date }; reportedBy?: Date } {
  const now = new Date()
  const at = (name: keyof typeof given) => endOfDate(name, given[name], marketTz) ?? now
  const reportedBy = endOfDate('reportedBy', given.reportedBy, marketTz)
  return {
    from: { asOf: at('fromAsOf'), knownAt: at('fromKnownAt') },
    to: { asOf: at('toAsOf'), knownAt: at('toKnownAt') },
    ...(reportedBy === undefined ? {} : { reportedBy }),
  }
}
