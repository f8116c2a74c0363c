import { type Kysely, sql } from 'kysely'
import { knownBy } from '../../src/projector/change-points.js'
import { entityName } from '../entities.js'
import type { MetricInEffect } from './schemas.js'

export interface MetricsQuery {
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date
  /** Only figures about this entity. */
  readonly subject?: string
  /** Only this metric. */
  readonly metric?: string
}

export interface MetricRow {
  entity: string
  entity_name: string
  metric: string
  value: string
  unit: string | null
  qualifier: string | null
  for_period: string | null
  reported_by: string | null
  effective_from: Date
  event_id: string
}

/**
 * The latest figure per (entity, metric, forPeriod) in effect at `asOf`, as known at `knownAt`:
 * the one with the latest effectiveFrom, and of those the last recorded (a restatement). A figure
 * for 2026 and one for 2021/2026 are two figures, not a correction of each other.
 */
export async function metricsAsOf<DB>(db: Kysely<DB>, q: MetricsQuery): Promise<MetricInEffect[]> {
  const subject = q.subject ?? null
  const metric = q.metric ?? null
  const { rows } = await sql<MetricRow>`
    select m.entity, ${entityName(sql.ref('m.entity'), q)} as entity_name, m.metric, m.value, m.unit,
           m.qualifier, m.for_period, m.reported_by, m.effective_from, m.event_id
      from (
        select distinct on (p.entity, p.metric, coalesce(p.for_period, '')) p.*
          from rm_metrics.metric_points p
         where p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
           and (${subject}::text is null or p.entity = ${subject})
           and (${metric}::text is null or p.metric = ${metric})
         order by p.entity, p.metric, coalesce(p.for_period, ''), p.effective_from desc, p.position desc
      ) m
     order by m.entity collate "C", m.metric collate "C", coalesce(m.for_period, '') collate "C"
  `.execute(db)
  return rows.map(metricOf)
}

export function metricOf(r: MetricRow): MetricInEffect {
  return {
    entity: r.entity,
    entityName: r.entity_name,
    metric: r.metric,
    value: r.value,
    unit: r.unit,
    qualifier: r.qualifier,
    forPeriod: r.for_period,
    reportedBy: r.reported_by,
    effectiveFrom: r.effective_from.toISOString(),
    eventId: r.event_id,
  }
}
