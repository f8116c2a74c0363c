import { type Static, Type } from 'typebox'
import { Instant, NullableString } from '../../src/queries/answer-fields.js'

/** The latest figure in effect for an entity, a metric and the period it is for. */
export const MetricSchema = Type.Object({
  entity: Type.String(),
  entityName: Type.String(),
  metric: Type.String({ description: 'kebab-case name, e.g. `enterprise-customers`' }),
  value: Type.String({ description: 'A decimal string' }),
  unit: NullableString,
  qualifier: NullableString,
  forPeriod: Type.Union([Type.String(), Type.Null()], {
    description: 'The period the figure is for ("2026", "2021/2026"); null when the source gives none',
  }),
  reportedBy: Type.Union([Type.String(), Type.Null()], { description: 'The entity that gave the figure' }),
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid', description: 'The metric.reported event' }),
})
export type MetricInEffect = Static<typeof MetricSchema>
