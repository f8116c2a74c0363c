import { type Kysely, sql } from 'kysely'
import { readAtPoints } from '../../src/diff/between.js'
import type { Comparable, ComparableRow, DiffPoint, DiffScope } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { knownBy } from '../../src/projector/change-points.js'
import { membersChangedBetween } from './between.js'
import { allianceAtPoints } from './history.js'
import { alliancesAsOf, formationsAsOf } from './read.js'
import type { AllianceAsOf } from './schemas.js'

const readModels = ['alliance-membership', 'entities']

/**
 * The alliances in scope, as `GET /v1/alliances` answers them: every one, the one asked, or
 * those a company convenes (its memberships are the members' side).
 */
async function alliancesInScope<DB>(
  db: Kysely<DB>,
  at: DiffPoint,
  scope: DiffScope,
): Promise<AllianceAsOf[]> {
  if (scope.product !== undefined) return []
  return alliancesAsOf(db, { ...at, alliance: scope.alliance })
}

/** An alliance without its members: they are rows of their own. */
export const allianceComparable: Comparable = {
  model: 'alliance',
  readModels,
  async rowsAt(db, at, scope) {
    if (scope.product !== undefined) return []
    return allianceRows(await formationsAsOf(db, { ...at, alliance: scope.alliance }), scope)
  },
  async rowsAtPoints(db, points, scope) {
    const batched = await oneAllianceAtPoints(db, points, scope)
    return batched?.map((alliances) => allianceRows(alliances, scope))
  },
}

function allianceRows(alliances: readonly AllianceAsOf[], scope: DiffScope): ComparableRow[] {
  return alliances
    .filter((a) => scope.company === undefined || a.conveners.includes(scope.company))
    .map(({ members: _members, ...alliance }) => ({
      key: { alliance: alliance.alliance },
      row: alliance,
      eventIds: [alliance.eventId],
    }))
}

/** The asked alliance at each point, in one statement per knowledge; undefined for another scope. */
async function oneAllianceAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  scope: DiffScope,
): Promise<AllianceAsOf[][] | undefined> {
  if (scope.product !== undefined) return points.map(() => [])
  if (scope.alliance === undefined || scope.company !== undefined) return undefined
  return allianceAtPoints(db, points, scope.alliance)
}

/**
 * A member of an alliance, `{ alliance, member, name, since }` as the alliance's `members` answer
 * it: every member, the asked alliance's, or a company's memberships. Its events are the joins
 * that began its current membership (a founding member's is the formation), else the formation.
 */
export const allianceMemberComparable: Comparable = {
  model: 'alliance-member',
  readModels,
  async rowsAt(db, at, scope) {
    const members = membersOf(await alliancesInScope(db, at, scope), scope)
    const joins = await joinEventsOf(
      db,
      at,
      members.map((m) => m.row),
    )
    return memberRows(members, joins)
  },
  async rowsBetween(db, points, scope) {
    if (scope.product !== undefined) return { from: [], to: [], middle: [] }
    const only = await membersChangedBetween(db, points)
    const read = async (at: DiffPoint) => {
      if (only.alliances.length === 0 && only.pairs.length === 0) return []
      const members = membersOf(await alliancesAsOf(db, { ...at, alliance: scope.alliance, only }), scope)
      return memberRows(
        members,
        await joinEventsOf(
          db,
          at,
          members.map((m) => m.row),
        ),
      )
    }
    return readAtPoints(points, read)
  },
  // A join's events depend on the knowledge alone once its member's since is given: one read per
  // knowledge, at the latest of its points, names the joins of every point.
  async rowsAtPoints(db, points, scope) {
    const batched = await oneAllianceAtPoints(db, points, scope)
    if (batched === undefined) return undefined
    const members = batched.map((alliances) => membersOf(alliances, scope))
    return perKnowledge(points, async (asOfs, knowledge, indexes) => {
      const latest = new Date(Math.max(...asOfs.map((t) => t.getTime())))
      const all = indexes.flatMap((i) => (members[i] ?? []).map((m) => m.row))
      const distinct = [...new Map(all.map((m) => [`${m.alliance}\n${m.member}\n${m.since}`, m])).values()]
      const joins = await joinEventsOf(db, { asOf: latest, ...knowledge }, distinct)
      return indexes.map((i) => memberRows(members[i] ?? [], joins))
    })
  },
}

interface MemberOf {
  readonly row: { alliance: string; member: string; name: string; since: string }
  readonly formation: string
}

function membersOf(alliances: readonly AllianceAsOf[], scope: DiffScope): MemberOf[] {
  return alliances.flatMap((a) =>
    a.members
      .filter((m) => scope.company === undefined || m.member === scope.company)
      .map((m) => ({ row: { alliance: a.alliance, ...m }, formation: a.eventId })),
  )
}

function memberRows(members: readonly MemberOf[], joins: ReadonlyMap<string, string[]>): ComparableRow[] {
  return members.map(({ row, formation }) => ({
    key: { alliance: row.alliance, member: row.member },
    row,
    eventIds: joins.get(`${row.alliance}\n${row.member}`) ?? [formation],
  }))
}

/**
 * The joins, known at `at`, that took effect at each member's `since` (to the millisecond, as
 * `since` is written), by `alliance\nmember`, in log order: one index range per member.
 */
async function joinEventsOf<DB>(
  db: Kysely<DB>,
  at: DiffPoint,
  members: readonly { alliance: string; member: string; since: string }[],
): Promise<Map<string, string[]>> {
  if (members.length === 0) return new Map()
  const { rows } = await sql<{ alliance: string; member: string; event_id: string }>`
    select m.alliance, m.member, m.event_id
      from unnest(${members.map((m) => m.alliance)}::text[], ${members.map((m) => m.member)}::text[],
                  ${members.map((m) => m.since)}::timestamptz[]) as u(alliance, member, since)
      join rm_alliance_membership.membership_changes m
        on m.alliance = u.alliance and m.member = u.member
       and m.effective_from >= u.since and m.effective_from < u.since + interval '1 millisecond'
     where m.change = 'joined' and m.effective_from <= ${at.asOf} and ${knownBy('m', at)}
     order by m.position
  `.execute(db)
  const joins = new Map<string, string[]>()
  for (const r of rows) {
    const key = `${r.alliance}\n${r.member}`
    joins.set(key, [...(joins.get(key) ?? []), r.event_id])
  }
  return joins
}
