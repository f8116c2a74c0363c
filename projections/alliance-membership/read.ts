import { type Kysely, type RawBuilder, sql } from 'kysely'
import { knownBy } from '../../src/projector/change-points.js'
import { entityKnownAt } from '../entities.js'
import type { AllianceAsOf, AllianceMembership } from './schemas.js'

interface MembershipQuery {
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date
  readonly alliance?: string
  readonly member?: string
  /** Only these members: every member of `alliances`, and the pairs given. */
  readonly only?: MemberFilter
}

/** Some alliances' members: all of those of `alliances`, and each `(alliance, member)` of `pairs`. */
export interface MemberFilter {
  readonly alliances: readonly string[]
  readonly pairs: readonly { readonly alliance: string; readonly member: string }[]
}

/**
 * `formed`: the formation in effect per alliance; `current_members`: per (alliance, member), a
 * member whose latest change at `asOf` is a join. A join with no later departure is one of the
 * current spell's; the earliest of them is when the spell began. `last_departures` holds each
 * member's latest departure in valid time (ties: the later position), so only the departures are
 * sorted, and the joins after it are the spell's.
 */
function membershipCtes(q: MembershipQuery): RawBuilder<unknown> {
  const alliance = q.alliance ?? null
  const member = q.member ?? null
  const only = q.only ?? null
  return sql`
    formed as (
      select distinct on (a.alliance) a.alliance, a.name, a.local_name, a.conveners, a.effective_from, a.event_id
        from rm_alliance_membership.alliances a
       where a.effective_from <= ${q.asOf} and ${knownBy('a', q)}
         and (${alliance}::text is null or a.alliance = ${alliance})
       order by a.alliance, a.effective_from desc, a.position desc
    ),
    changes as (
      select m.alliance, m.member, m.change, m.effective_from, m.position
        from rm_alliance_membership.membership_changes m
       where m.alliance in (select f.alliance from formed f)
         and m.effective_from <= ${q.asOf} and ${knownBy('m', q)}
         and (${member}::text is null or m.member = ${member})
         and (${only === null} or m.alliance = any(${only?.alliances ?? null}::text[])
              or (m.alliance, m.member) in (
                select * from unnest(${only?.pairs.map((p) => p.alliance) ?? null}::text[],
                                     ${only?.pairs.map((p) => p.member) ?? null}::text[])))
    ),
    last_departures as (
      select distinct on (d.alliance, d.member) d.alliance, d.member, d.effective_from, d.position
        from changes d
       where d.change = 'left'
       order by d.alliance, d.member, d.effective_from desc, d.position desc
    ),
    current_members as (
      select j.alliance, j.member, min(j.effective_from) as since
        from changes j
        left join last_departures d on d.alliance = j.alliance and d.member = j.member
       where j.change = 'joined'
         and (d.alliance is null or (j.effective_from, j.position) > (d.effective_from, d.position))
       group by j.alliance, j.member
    )`
}

export interface AllianceMemberRow {
  alliance: string
  name: string
  local_name: string | null
  conveners: string[]
  formed_at: Date
  event_id: string
  member: string | null
  member_name: string | null
  since: Date | null
}

/** Alliances formed by `asOf` with their members then, as known at `knownAt`, by slug. */
export async function alliancesAsOf<DB>(
  db: Kysely<DB>,
  q: { asOf: Date; knownAt: Date; reportedBy?: Date; alliance?: string; only?: MemberFilter },
): Promise<AllianceAsOf[]> {
  const { rows } = await sql<AllianceMemberRow>`
    with ${membershipCtes(q)}
    select f.alliance, f.name, f.local_name, f.conveners, f.effective_from as formed_at, f.event_id,
           cm.member, coalesce(ent.name, cm.member) as member_name, cm.since
      from formed f
      left join current_members cm on cm.alliance = f.alliance
      left join lateral ${entityKnownAt(sql.ref('cm.member'), q)} ent on true
     order by f.alliance, cm.member
  `.execute(db)
  return groupAlliances(rows)
}

/** The alliances formed by `asOf`, as known at `knownAt`, by slug, without their members (none read). */
export async function formationsAsOf<DB>(
  db: Kysely<DB>,
  q: { asOf: Date; knownAt: Date; reportedBy?: Date; alliance?: string },
): Promise<AllianceAsOf[]> {
  const { rows } = await sql<AllianceMemberRow>`
    with ${membershipCtes(q)}
    select f.alliance, f.name, f.local_name, f.conveners, f.effective_from as formed_at, f.event_id,
           null as member, null as member_name, null as since
      from formed f
     order by f.alliance
  `.execute(db)
  return groupAlliances(rows)
}

export function groupAlliances(rows: readonly AllianceMemberRow[]): AllianceAsOf[] {
  const alliances = new Map<string, AllianceAsOf>()
  for (const r of rows) {
    let alliance = alliances.get(r.alliance)
    if (!alliance) {
      alliance = {
        alliance: r.alliance,
        name: r.name,
        localName: r.local_name,
        conveners: r.conveners,
        members: [],
        formedAt: r.formed_at.toISOString(),
        eventId: r.event_id,
      }
      alliances.set(r.alliance, alliance)
    }
    if (r.member !== null && r.since !== null) {
      alliance.members.push({
        member: r.member,
        name: r.member_name ?? r.member,
        since: r.since.toISOString(),
      })
    }
  }
  return [...alliances.values()]
}

interface MembershipRow {
  alliance: string
  name: string
  role: 'convener' | 'member'
  since: Date
}

/** The alliances `company` convenes or belongs to at `asOf`, as known at `knownAt`, by slug. */
export async function allianceMembershipsOf<DB>(
  db: Kysely<DB>,
  q: { company: string; asOf: Date; knownAt: Date; reportedBy?: Date },
): Promise<AllianceMembership[]> {
  const { rows } = await sql<MembershipRow>`
    with ${membershipCtes({ asOf: q.asOf, knownAt: q.knownAt, reportedBy: q.reportedBy, member: q.company })}
    select f.alliance, f.name,
           case when ${q.company}::text = any(f.conveners) then 'convener' else 'member' end as role,
           case when ${q.company}::text = any(f.conveners) then f.effective_from else cm.since end as since
      from formed f
      left join current_members cm on cm.alliance = f.alliance and cm.member = ${q.company}
     where ${q.company}::text = any(f.conveners) or cm.member is not null
     order by f.alliance
  `.execute(db)
  return rows.map((r) => ({ alliance: r.alliance, name: r.name, role: r.role, since: r.since.toISOString() }))
}
