import { bySlug, isoOf } from '../../src/reports/report.js'
import { type EntityNames, nameOf } from '../entity-names.js'
import type { EntryOf } from '../market-entry.js'
import type { Point } from './point.js'
import type { MarketSnapshot } from './schema.js'

interface MetricPoint extends Point {
  readonly entity: string
  readonly metric: string
  readonly value: string
  readonly unit: string | null
  readonly qualifier: string | null
  readonly forPeriod: string | null
  readonly reportedBy: string | null
}

/** entity, metric and period → the latest figure. */
export type Metrics = Map<string, MetricPoint>

export function reportMetric(metrics: Metrics, event: EntryOf<'metric.reported'>): void {
  const d = event.data
  const key = `${event.subject}\u0000${d.metric}\u0000${d.forPeriod ?? ''}`
  const current = metrics.get(key)
  if (current && event.effectiveAt < current.effectiveAt) return
  metrics.set(key, {
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    entity: event.subject,
    metric: d.metric,
    value: d.value,
    unit: d.unit ?? null,
    qualifier: d.qualifier ?? null,
    forPeriod: d.forPeriod ?? null,
    reportedBy: d.reportedBy ?? null,
  })
}

export function metricsOf(metrics: Metrics, names: EntityNames): MarketSnapshot['metrics'] {
  return [...metrics]
    .sort(([a], [b]) => bySlug(a, b))
    .map(([, m]) => ({
      entity: m.entity,
      entityName: nameOf(names, m.entity),
      metric: m.metric,
      value: m.value,
      unit: m.unit,
      qualifier: m.qualifier,
      forPeriod: m.forPeriod,
      reportedBy: m.reportedBy,
      effectiveFrom: isoOf(m.effectiveAt),
      eventId: m.id,
    }))
}
