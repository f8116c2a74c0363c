import { Type } from 'typebox'
import { Slug } from '../../src/catalogue/fields.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { asOfAndKnownAt } from '../../src/queries/parameters.js'
import { defineQuery } from '../../src/queries/query.js'
import { metricsAsOf } from './read.js'
import { MetricSchema } from './schemas.js'

const MetricName = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,99}$',
  description: 'Only this metric (kebab-case).',
})

const listMetrics = defineQuery({
  operationId: 'listMetrics',
  path: '/v1/metrics',
  summary: 'Figures about entities in effect at a date, as known at a date',
  description:
    'The latest figure per entity, metric and period it is for (`forPeriod`) in effect at `asOf`, in the ' +
    'order of entity, metric and period. A later figure for the same period replaces an earlier one.',
  querystring: {
    ...asOfAndKnownAt,
    subject: Type.Optional(Type.String({ ...Slug, description: 'Only figures about this entity.' })),
    metric: Type.Optional(MetricName),
  },
  answer: Type.Object({ asOf: Instant, knownAt: Instant, metrics: Type.Array(MetricSchema) }),
  readModels: ['metrics', 'entities'],
  cache: 'when-asOf-given',
  async run({ db, at, cached }, { query: { subject, metric } }) {
    const query = { ...at, ...(subject ? { subject } : {}), ...(metric ? { metric } : {}) }
    const metrics = await cached(() => metricsAsOf(db, query))
    return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), metrics }
  },
})

export const metricQueries = [listMetrics]
