import { type Kysely, sql } from 'kysely'
import { type Knowledge, knownBy } from '../../src/projector/change-points.js'

/**
 * The value of one entity's metric at each of `instants`, or null where there is none. Of the
 * figures `metricsAsOf` answers there (one per forPeriod), the one that took effect last
 * (effectiveFrom, then position); with `forPeriod`, the figure for that period.
 */
export async function metricSeries<DB>(
  db: Kysely<DB>,
  key: { readonly subject: string; readonly metric: string; readonly forPeriod?: string | undefined },
  instants: readonly Date[],
  knowledge: Knowledge,
): Promise<Array<string | null>> {
  const forPeriod = key.forPeriod ?? null
  const { rows } = await sql<{ value: string | null }>`
    select m.value
      from unnest(${instants.map((i) => i.toISOString())}::timestamptz[]) with ordinality as t(at, i)
      left join lateral (
        select p.value
          from rm_metrics.metric_points p
         where p.entity = ${key.subject} and p.metric = ${key.metric}
           and (${forPeriod}::text is null or p.for_period = ${forPeriod})
           and p.effective_from <= t.at and ${knownBy('p', knowledge)}
         order by p.effective_from desc, p.position desc limit 1
      ) m on true
     order by t.i
  `.execute(db)
  return rows.map((r) => r.value)
}
