import { type Kysely, sql } from 'kysely'
import type { DiffPoint } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { knownBy } from '../../src/projector/change-points.js'
import { entityName } from '../entities.js'
import { type RelationRow, relationOf } from './read.js'
import type { RelationInEffect } from './schemas.js'

/**
 * The relations with one entity at either end at many points, one statement per knowledge:
 * `unnest` of the instants, each joined laterally to what `relationsAsOf` reads at it (a spell's
 * first establishment with no end after it), in its order.
 */
export function entityRelationsAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  subject: string,
): Promise<RelationInEffect[][]> {
  return perKnowledge(points, async (asOfs, q) => {
    const { rows } = await sql<RelationRow & { n: number }>`
      with changes as materialized (
        select c.from_entity, c.to_entity, c.kind, c.change, c.effective_from, c.position, c.precision,
               c.summary, c.event_id
          from rm_relations.relation_changes c
         where ${knownBy('c', q)} and c.status is null and (c.from_entity = ${subject} or c.to_entity = ${subject})
      )
      select i.n::int as n, r.from_entity, ${entityName(sql.ref('r.from_entity'), q)} as from_name,
             r.to_entity, ${entityName(sql.ref('r.to_entity'), q)} as to_name,
             r.kind, r.effective_from, r.precision, r.summary, r.event_id, r.position
        from unnest(${asOfs.map((t) => t.toISOString())}::timestamptz[]) with ordinality as i(as_of, n)
       cross join lateral (
          select distinct on (e.from_entity, e.kind, e.to_entity) e.*
            from changes e
           where e.change = 'established' and e.effective_from <= i.as_of
             and not exists (
               select 1 from changes x
                where x.from_entity = e.from_entity and x.kind = e.kind and x.to_entity = e.to_entity
                  and x.change = 'ended' and x.effective_from <= i.as_of
                  and (x.effective_from, x.position) > (e.effective_from, e.position)
             )
           order by e.from_entity, e.kind, e.to_entity, e.effective_from, e.position
        ) r
       order by i.n, r.effective_from, r.position
    `.execute(db)
    const answers: RelationInEffect[][] = asOfs.map(() => [])
    for (const r of rows) answers[r.n - 1]?.push(relationOf(r))
    return answers
  })
}
