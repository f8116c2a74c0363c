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
        select distinct p.entity, p.metric, p.for_period from rm_metrics.metric_points p
         where (${subject}::text is null or p.entity = ${subject})
           and (${metric}::text is null or p.metric = ${metric})
      ) k
      -- Each figure's latest point through the index, rather than every point by asOf sorted. A
      -- forPeriod is never empty, so (entity, metric, forPeriod) is the key, a missing one its own.
      cross join lateral (
        (select p.* from rm_metrics.metric_points p
          where p.entity = k.entity and p.metric = k.metric and k.for_period is null and p.for_period is null
            and p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
          -- for_period first, as the index has it: the planner then reads it in order, not by sorting.
          order by p.for_period desc, p.effective_from desc, p.position desc limit 1)
        union all
        (select p.* from rm_metrics.metric_points p
          where p.entity = k.entity and p.metric = k.metric and p.for_period = k.for_period
            and p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
          order by p.effective_from desc, p.position desc limit 1)
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
