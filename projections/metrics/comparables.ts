import type { Comparable } from '../../src/diff/model.js'
import { metricsAsOf } from './read.js'

/** Figures in effect, as `GET /v1/metrics` answers them: the market's, or those about the one entity in scope. */
export const metricComparable: Comparable = {
  model: 'metric',
  readModels: ['metrics', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    const metrics = await metricsAsOf(db, { ...at, subject: company ?? product ?? alliance })
    return metrics.map((metric) => ({
      key: { entity: metric.entity, metric: metric.metric, forPeriod: metric.forPeriod },
      row: metric,
      eventIds: [metric.eventId],
    }))
  },
}
