import type { MarketEvent } from '../../events/index.js'
import { type ChangePoint, changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { metricComparable } from './comparables.js'
import { metricQueries } from './queries.js'

/** Figures about entities, as change points: one row per metric.reported. */
export interface MetricPointRow extends ChangePoint {
  entity: string
  metric: string
  value: string
  unit: string | null
  qualifier: string | null
  for_period: string | null
  reported_by: string | null
  precision: string
}

interface Tables {
  metric_points: MetricPointRow
}

export const metricsProjection = defineProjection<Tables, MarketEvent>({
  name: 'metrics',
  description: 'Figures about entities (customers, model counts, market sizes), as of any date',
  tables: {
    metric_points: changePointTable(`entity text not null, metric text not null, value text not null,
      unit text, qualifier text, for_period text, reported_by text, precision text not null`),
  },
  eventTypes: ['metric.reported'],
  indexes: [
    'metric_points (entity, metric, for_period, effective_from, position)',
    'metric_points (event_id)',
  ],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'metric_points',
      events.flatMap((e) => metricPointsOf(e, marketTz)),
    )
  },
  queries: metricQueries,
  comparables: [metricComparable],
})

export function metricPointsOf(event: MarketEvent, marketTz: string): MetricPointRow[] {
  if (event.type !== 'metric.reported') return []
  const d = event.data
  return [
    {
      entity: event.subject,
      metric: d.metric,
      value: d.value,
      unit: d.unit ?? null,
      qualifier: d.qualifier ?? null,
      for_period: d.forPeriod ?? null,
      reported_by: d.reportedBy ?? null,
      precision: event.precision,
      ...pointOf(event, marketTz),
    },
  ]
}
