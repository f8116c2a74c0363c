import { type Kysely, sql } from 'kysely'
import type { DiffPoint } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { knownBy } from '../../src/projector/change-points.js'
import { entityName } from '../entities.js'
import { type MetricRow, metricOf } from './read.js'
import type { MetricInEffect } from './schemas.js'

/**
 * The figures about one entity at many points, one statement per knowledge: `unnest` of the
 * instants, each joined laterally to what `metricsAsOf` reads at it, in its order.
 */
export function entityMetricsAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  subject: string,
): Promise<MetricInEffect[][]> {
  return perKnowledge(points, async (asOfs, q) => {
    const { rows } = await sql<MetricRow & { n: number }>`
      select i.n::int as n, m.entity, ${entityName(sql.ref('m.entity'), q)} as entity_name, m.metric, m.value,
             m.unit, m.qualifier, m.for_period, m.reported_by, m.effective_from, m.event_id
        from unnest(${asOfs.map((t) => t.toISOString())}::timestamptz[]) with ordinality as i(as_of, n)
       cross join lateral (
          select distinct on (p.entity, p.metric, coalesce(p.for_period, '')) p.*
            from rm_metrics.metric_points p
           where p.entity = ${subject} and p.effective_from <= i.as_of and ${knownBy('p', q)}
           order by p.entity, p.metric, coalesce(p.for_period, ''), p.effective_from desc, p.position desc
        ) m
       order by i.n, m.entity collate "C", m.metric collate "C", coalesce(m.for_period, '') collate "C"
    `.execute(db)
    const answers: MetricInEffect[][] = asOfs.map(() => [])
    for (const r of rows) answers[r.n - 1]?.push(metricOf(r))
    return answers
  })
}
