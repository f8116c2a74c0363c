import { type Kysely, sql } from 'kysely'
import { type Knowledge, knownBy } from '../../src/projector/change-points.js'

/**
 * How many members `alliance` has at each of `instants`, as `alliancesAsOf` counts them there: 0
 * before it is formed. A member is one whose latest change by then (effectiveFrom, then position)
 * is a join, which is what "a join with no later departure" comes to. So each join is a spell,
 * from its effectiveFrom until the member's next change, and the count at an instant is the
 * spells begun by then less those ended by then: one running sum over the alliance's known
 * changes and the instants together, rather than a look at every change for every instant.
 */
export async function allianceMemberSeries<DB>(
  db: Kysely<DB>,
  key: { readonly alliance: string },
  instants: readonly Date[],
  knowledge: Knowledge,
): Promise<number[]> {
  const { rows } = await sql<{ members: number }>`
    with changes as (
      select m.change, m.effective_from,
             lead(m.effective_from) over (partition by m.member order by m.effective_from, m.position) as until
        from rm_alliance_membership.membership_changes m
       where m.alliance = ${key.alliance} and ${knownBy('m', knowledge)}
    ),
    -- A join followed by another change at the same instant is no one's latest change: no spell.
    spells as (
      select c.effective_from as since, c.until from changes c
       where c.change = 'joined' and (c.until is null or c.until > c.effective_from)
    ),
    steps as (
      select s.since as at, 1 as step, null::bigint as i from spells s
      union all
      select s.until, -1, null from spells s where s.until is not null
      union all
      select t.at, 0, t.i from unnest(${instants.map((i) => i.toISOString())}::timestamptz[]) with ordinality as t(at, i)
    ),
    -- Steps at an instant count at it (on or before): they sort before it.
    running as (
      select s.i, s.at, sum(s.step) over (order by s.at, s.i nulls first rows unbounded preceding) as members
        from steps s
    ),
    formed as (
      select min(a.effective_from) as since
        from rm_alliance_membership.alliances a
       where a.alliance = ${key.alliance} and ${knownBy('a', knowledge)}
    )
    select (case when f.since <= r.at then r.members else 0 end)::int as members
      from running r cross join formed f
     where r.i is not null
     order by r.i
  `.execute(db)
  return rows.map((r) => r.members)
}
