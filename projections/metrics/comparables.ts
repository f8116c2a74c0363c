import type { Comparable, ComparableRow } from '../../src/diff/model.js'
import { entityMetricsAtPoints } from './history.js'
import { metricsAsOf } from './read.js'
import type { MetricInEffect } from './schemas.js'

/** Figures in effect, as `GET /v1/metrics` answers them: the market's, or those about the one entity in scope. */
export const metricComparable: Comparable = {
  model: 'metric',
  readModels: ['metrics', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    const metrics = await metricsAsOf(db, { ...at, subject: company ?? product ?? alliance })
    return metrics.map(comparableMetric)
  },
  async rowsAtPoints(db, points, { company, product, alliance }) {
    const subject = company ?? product ?? alliance
    if (subject === undefined) return undefined
    // Each figure's row made once, and each state's once: consecutive states are compared by identity first.
    const rows = new Map<MetricInEffect, ComparableRow>()
    const states = new Map<readonly MetricInEffect[], ComparableRow[]>()
    const rowOf = (metric: MetricInEffect): ComparableRow => {
      const row = rows.get(metric) ?? comparableMetric(metric)
      rows.set(metric, row)
      return row
    }
    return (await entityMetricsAtPoints(db, points, subject)).map((metrics) => {
      const state = states.get(metrics) ?? metrics.map(rowOf)
      states.set(metrics, state)
      return state
    })
  },
}

function comparableMetric(metric: MetricInEffect): ComparableRow {
  return {
    key: { entity: metric.entity, metric: metric.metric, forPeriod: metric.forPeriod },
    row: metric,
    eventIds: [metric.eventId],
  }
}
