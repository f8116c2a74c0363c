import { type Kysely, sql } from 'kysely'
import { type Knowledge, knownBy } from '../../src/projector/change-points.js'

/**
 * How many members `alliance` has at each of `instants`, as `alliancesAsOf` counts them there: 0
 * before it is formed. A member is one whose latest change by then (effectiveFrom, then position)
 * is a join, which is what "a join with no later departure" comes to.
 */
export async function allianceMemberSeries<DB>(
  db: Kysely<DB>,
  key: { readonly alliance: string },
  instants: readonly Date[],
  knowledge: Knowledge,
): Promise<number[]> {
  const { rows } = await sql<{ members: number }>`
    select case
             when exists (
               select 1 from rm_alliance_membership.alliances a
                where a.alliance = ${key.alliance} and a.effective_from <= t.at and ${knownBy('a', knowledge)}
             ) then (
               select count(*) from (
                 select distinct on (m.member) m.change
                   from rm_alliance_membership.membership_changes m
                  where m.alliance = ${key.alliance} and m.effective_from <= t.at and ${knownBy('m', knowledge)}
                  order by m.member, m.effective_from desc, m.position desc
               ) latest
                where latest.change = 'joined'
             )
             else 0
           end::int as members
      from unnest(${instants.map((i) => i.toISOString())}::timestamptz[]) with ordinality as t(at, i)
     order by t.i
  `.execute(db)
  return rows.map((r) => r.members)
}
