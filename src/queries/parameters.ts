import { Type } from 'typebox'
import { typePatternRegex } from '../catalogue/catalogue.js'
import { MarketDateString, maxPosition, Slug } from '../catalogue/fields.js'

/** Query-string parameters shared by several routes. */

export const Limit = Type.Integer({
  minimum: 1,
  maximum: 1000,
  default: 100,
  description: 'Page size (max 1000).',
})

/** A page's `next`, as the previous page answered it (`NextPage`). */
export const PageCursor = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,100}$',
  description: 'Cursor from the previous page',
})

/** The answer's cursor to the page after it. */
export const NextPage = Type.Union([Type.String(), Type.Null()], {
  description: 'Cursor for the next page; null at the end',
})

export const AfterPosition = Type.Integer({
  minimum: 0,
  maximum: maxPosition,
  default: 0,
  description: "Return events after this position (the previous page's `next`).",
})

export const TypeFilter = Type.String({
  pattern: `^${typePatternRegex.slice(1, -1)}(,${typePatternRegex.slice(1, -1)})*$`,
  maxLength: 1000,
  description: 'Comma-separated event types or patterns: `price.changed`, `price.*`, `*`.',
  examples: ['price.*'],
})

export const SubjectFilter = Type.String({ ...Slug, description: 'Only events of this subject.' })

export const ValidFrom = Type.String({
  ...MarketDateString,
  description: 'Valid time from the START of this date (events whose effectiveFrom is at or after it).',
})

export const ValidTo = Type.String({
  ...MarketDateString,
  description: 'Valid time to the END of this date (events whose effectiveFrom is at or before it).',
})

export const AsOf = Type.String({
  ...MarketDateString,
  description:
    'Valid time: the market as of the END of this date (year, month, day) or this instant. Default: now.',
})

export const KnownAt = Type.String({
  ...MarketDateString,
  description:
    'Transaction time: only what the service had recorded (and not retracted) by the END of this date or this instant. Default: now.',
})

export const ReportedBy = Type.String({
  ...MarketDateString,
  description:
    'Publication time, for backtests without look-ahead: only facts and retractions whose source was published ' +
    '(`source.publishedAt`) by the END of this date or this instant count; a publication date of month or year ' +
    'precision counts from the end of that month or year, a fact without one from when it was recorded. ' +
    'Combines with asOf and knownAt. Default: no such limit.',
})

export const IncludeSource = Type.Literal('source', {
  description: "source: each row with an eventId also carries its event's `source`, as recorded.",
})

export const ConsistentWith = Type.Integer({
  minimum: 0,
  maximum: maxPosition,
  description:
    'Wait (up to 10 s, then 503) until the read model has applied every event up to this position, e.g. the one an append returned.',
})

export const PrecisionFilter = Type.String({
  pattern: '^(year|month|day|instant)(,(year|month|day|instant))*$',
  description: 'Comma-separated precisions of occurredAt: `year`, `month`, `day`, `instant`.',
  examples: ['month,day,instant'],
})

/** The point in time of a query that takes both times; spread where they appear in the document. */
export const asOfAndKnownAt = {
  asOf: Type.Optional(AsOf),
  knownAt: Type.Optional(KnownAt),
  reportedBy: Type.Optional(ReportedBy),
  consistentWith: Type.Optional(ConsistentWith),
}

/** The point in time of a query that takes transaction time only (names, histories, the timeline). */
export const knownAtOnly = {
  knownAt: Type.Optional(KnownAt),
  reportedBy: Type.Optional(ReportedBy),
  consistentWith: Type.Optional(ConsistentWith),
}
