import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Decimal, Qualifier, Slug, Text } from '../src/catalogue/fields.js'
import { qualified } from './wording.js'

export const metricReported = defineEventType({
  type: 'metric.reported',
  subject: 'the entity the figure is about',
  description: 'A figure about an entity: customers, model counts, market size, a forecast.',
  schema: Type.Object(
    {
      metric: Type.String({ pattern: '^[a-z][a-z0-9-]{0,99}$', description: 'kebab-case name' }),
      value: Decimal,
      unit: Type.Optional(Text(50)),
      qualifier: Type.Optional(Qualifier),
      forPeriod: Type.Optional(Text(50, 'The period the figure is for: "2026", "2021/2026", "2024-05"')),
      reportedBy: Type.Optional(Slug),
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) => {
    const unit = data.unit ? ` ${data.unit}` : ''
    const period = data.forPeriod ? ` for ${data.forPeriod}` : ''
    const by = data.reportedBy ? ` (${names.name(data.reportedBy)})` : ''
    return `${names.name(subject)} ${data.metric.replaceAll('-', ' ')}: ${qualified(data.value, data.qualifier)}${unit}${period}${by}`
  },
})
