import { type Static, Type } from 'typebox'
import { Precision } from '../../src/catalogue/envelope.js'
import { Source } from '../../src/catalogue/fields.js'
import { Instant } from '../../src/queries/answer-fields.js'

/** The answers of the timeline: an entry per event, and how many events a period holds. */

export const TimelineEntrySchema = Type.Object({
  eventId: Type.String({ format: 'uuid' }),
  position: Type.Integer(),
  type: Type.String(),
  subject: Type.String(),
  occurredAt: Type.String(),
  precision: Precision,
  effectiveFrom: Instant,
  recordedAt: Instant,
  summary: Type.String({ description: 'One line, with names as known at knownAt' }),
  data: Type.Unknown(),
  source: Type.Optional(Source),
})
export type TimelineEntry = Static<typeof TimelineEntrySchema>

export const TimelinePeriodSchema = Type.Object({
  period: Type.String({ description: '`2024-05`, or `2024` for the facts dated only to that year' }),
  precision: Type.Union([Type.Literal('year'), Type.Literal('month')]),
  from: Type.String({
    format: 'date-time',
    description: "The period's first instant in the market time zone",
  }),
  count: Type.Integer(),
})
export type TimelinePeriod = Static<typeof TimelinePeriodSchema>
