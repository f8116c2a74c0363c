import { type Static, Type } from 'typebox'
import { Precision } from '../../src/catalogue/envelope.js'
import { Source } from '../../src/catalogue/fields.js'
import { Instant, NullableStatus } from '../../src/queries/answer-fields.js'

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
  summary: Type.String({
    description:
      'One line, with names as known at knownAt; a planned or announced fact\'s starts "Planned: " or "Announced: "',
  }),
  status: NullableStatus,
  data: Type.Unknown(),
  source: Type.Optional(Source),
})
export type TimelineEntry = Static<typeof TimelineEntrySchema>

/** Which entries the timeline shows: facts of the market's history, reference data, or both. */
export const timelineKinds = ['fact', 'reference', 'all'] as const
export type TimelineKind = (typeof timelineKinds)[number]

export const TimelineKindFilter = Type.Union(
  timelineKinds.map((kind) => Type.Literal(kind)),
  {
    default: 'fact',
    description:
      "`fact` (default): the facts of the market's history; `reference`: only reference data (registrations, " +
      'the event types marked `reference` in GET /v1/event-types); `all`: both. Combines with `type`: ' +
      '`type=entity.registered` shows registrations only with `kind=reference` or `kind=all`.',
  },
)

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
