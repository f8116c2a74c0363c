import { type Kysely, sql } from 'kysely'
import type { Comparable, DiffPoint, DiffScope } from '../../src/diff/model.js'
import { knownBy } from '../../src/projector/change-points.js'
import { alliancesAsOf } from './read.js'
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
    const alliances = await alliancesInScope(db, at, scope)
    return alliances
      .filter((a) => scope.company === undefined || a.conveners.includes(scope.company))
      .map(({ members: _members, ...alliance }) => ({
        key: { alliance: alliance.alliance },
        row: alliance,
        eventIds: [alliance.eventId],
      }))
  },
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
    const alliances = await alliancesInScope(db, at, scope)
    const members = alliances.flatMap((a) =>
      a.members
        .filter((m) => scope.company === undefined || m.member === scope.company)
        .map((m) => ({ row: { alliance: a.alliance, ...m }, formation: a.eventId })),
    )
    const joins = await joinEventsOf(
      db,
      at,
      members.map((m) => m.row),
    )
    return members.map(({ row, formation }) => ({
      key: { alliance: row.alliance, member: row.member },
      row,
      eventIds: joins.get(`${row.alliance}\n${row.member}`) ?? [formation],
    }))
  },
}

/**
 * The joins, known at `at`, that took effect at each member's `since`, by `alliance\nmember`: the
 * alliances' joins read once (one index range per alliance), matched to the members here.
 */
async function joinEventsOf<DB>(
  db: Kysely<DB>,
  at: DiffPoint,
  members: readonly { alliance: string; member: string; since: string }[],
): Promise<Map<string, string[]>> {
  if (members.length === 0) return new Map()
  const since = new Map(members.map((m) => [`${m.alliance}\n${m.member}`, Date.parse(m.since)]))
  const alliances = [...new Set(members.map((m) => m.alliance))]
  const { rows } = await sql<{ alliance: string; member: string; effective_from: Date; event_id: string }>`
    select m.alliance, m.member, m.effective_from, m.event_id
      from rm_alliance_membership.membership_changes m
     where m.alliance = any(${alliances}::text[]) and m.change = 'joined'
       and m.effective_from <= ${at.asOf} and ${knownBy('m', at)}
     order by m.position
  `.execute(db)
  const joins = new Map<string, string[]>()
  for (const r of rows) {
    const key = `${r.alliance}\n${r.member}`
    if (since.get(key) !== r.effective_from.getTime()) continue
    joins.set(key, [...(joins.get(key) ?? []), r.event_id])
  }
  return joins
}
