import { type Kysely, sql } from 'kysely'
import type { DiffPoint } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { isKnownBy, type KnownTimes, knownTimes } from '../../src/projector/known-times.js'
import { entityVersions, namesAsKnown } from '../entity-versions.js'
import { type MetricRow, metricOf } from './read.js'
import type { MetricInEffect } from './schemas.js'

/**
 * The figures about one entity at many points, read once for every knowledge of the points: every
 * figure about it recorded by the latest knownAt that took effect by the latest asOf, in
 * valid-time order. Per knowledge, those `knownBy` would keep are swept once through the instants
 * in order: at each, the latest figure per (metric, forPeriod), as `metricsAsOf` chooses it
 * (latest effectiveFrom, then last recorded), in its order.
 */
export async function entityMetricsAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  subject: string,
): Promise<MetricInEffect[][]> {
  if (points.length === 0) return []
  const latestAsOf = new Date(Math.max(...points.map((p) => p.asOf.getTime())))
  const latestKnownAt = new Date(Math.max(...points.map((p) => p.knownAt.getTime())))
  const { rows } = await sql<Omit<MetricRow, 'entity_name'> & KnownTimes>`
    select p.entity, p.metric, p.value, p.unit, p.qualifier, p.for_period, p.reported_by, p.effective_from,
           p.event_id, ${knownTimes('p')}
      from rm_metrics.metric_points p
     where p.entity = ${subject} and p.recorded_at <= ${latestKnownAt} and p.effective_from <= ${latestAsOf}
     order by p.effective_from, p.position
  `.execute(db)
  const versions = await entityVersions(db, [subject], latestKnownAt)
  // A figure is made once for each name it is read under: most knowledges share it.
  const made = new Map<(typeof rows)[number], MetricInEffect>()
  return perKnowledge(points, async (asOfs, knowledge) => {
    const name = namesAsKnown(versions, knowledge)
    const known = rows.filter((r) => isKnownBy(r, knowledge))
    const figures = known.map((r) => {
      const entityName = name(r.entity)
      const earlier = made.get(r)
      if (earlier?.entityName === entityName) return earlier
      const figure = metricOf({ ...r, entity_name: entityName })
      made.set(r, figure)
      return figure
    })
    const order = asOfs
      .map((_, i) => i)
      .sort((a, b) => (asOfs[a] as Date).getTime() - (asOfs[b] as Date).getTime())
    const answers: MetricInEffect[][] = asOfs.map(() => [])
    const inEffect = new Map<string, MetricInEffect>()
    // One array while nothing new takes effect: a history compares consecutive states by identity first.
    let current: MetricInEffect[] = []
    let next = 0
    for (const i of order) {
      const asOf = (asOfs[i] as Date).getTime()
      const before = next
      for (
        ;
        next < known.length &&
        (known[next] as KnownTimes & { effective_from: Date }).effective_from.getTime() <= asOf;
        next++
      ) {
        const figure = figures[next] as MetricInEffect
        inEffect.set(`${figure.metric}\u0000${figure.forPeriod ?? ''}`, figure)
      }
      if (next > before) current = [...inEffect.values()].sort(byMetricAndPeriod)
      answers[i] = current
    }
    return answers
  })
}

/** `metricsAsOf`'s order within one entity: metric, then period (none first), by code unit. */
function byMetricAndPeriod(a: MetricInEffect, b: MetricInEffect): number {
  const x = `${a.metric}\u0000${a.forPeriod ?? ''}`
  const y = `${b.metric}\u0000${b.forPeriod ?? ''}`
  return x < y ? -1 : x > y ? 1 : 0
}
