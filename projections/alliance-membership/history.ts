import { type Kysely, sql } from 'kysely'
import type { DiffPoint } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { knownBy } from '../../src/projector/change-points.js'
import { entityKnownAt } from '../entities.js'
import { type AllianceMemberRow, groupAlliances } from './read.js'
import type { AllianceAsOf } from './schemas.js'

interface Formation {
  alliance: string
  name: string
  local_name: string | null
  conveners: string[]
  effective_from: Date
  event_id: string
  position: string
}

interface MemberChange {
  member: string
  member_name: string
  change: 'joined' | 'left'
  effective_from: Date
  position: string
}

/**
 * One alliance with its members at many points, from two reads per knowledge — its formations and
 * its members' changes, in (effectiveFrom, position) order — folded at each instant as
 * `alliancesAsOf` reads it: the formation in effect, and per member the joins after its last
 * departure by then, the earliest of them its since. A few hundred changes are folded in memory
 * faster than a lateral join per instant can re-scan them.
 */
export function allianceAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  alliance: string,
): Promise<AllianceAsOf[][]> {
  return perKnowledge(points, async (asOfs, q) => {
    const [formations, changes] = await Promise.all([
      sql<Formation>`
        select a.alliance, a.name, a.local_name, a.conveners, a.effective_from, a.event_id, a.position
          from rm_alliance_membership.alliances a
         where a.alliance = ${alliance} and ${knownBy('a', q)}
         order by a.effective_from, a.position
      `.execute(db),
      sql<MemberChange>`
        select m.member, coalesce(ent.name, m.member) as member_name, m.change, m.effective_from, m.position
          from rm_alliance_membership.membership_changes m
          left join lateral ${entityKnownAt(sql.ref('m.member'), q)} ent on true
         where m.alliance = ${alliance} and ${knownBy('m', q)}
         order by m.effective_from, m.position
      `.execute(db),
    ])
    return asOfs.map((asOf) => groupAlliances(rowsAt(formations.rows, changes.rows, asOf.getTime())))
  })
}

function rowsAt(
  formations: readonly Formation[],
  changes: readonly MemberChange[],
  t: number,
): AllianceMemberRow[] {
  const formation = formations.findLast((f) => f.effective_from.getTime() <= t)
  if (formation === undefined) return []
  const spells = new Map<string, { name: string; since: Date | null }>()
  for (const c of changes) {
    if (c.effective_from.getTime() > t) break
    if (c.change === 'left') spells.set(c.member, { name: c.member_name, since: null })
    else if (!spells.get(c.member)?.since)
      spells.set(c.member, { name: c.member_name, since: c.effective_from })
  }
  const base = {
    alliance: formation.alliance,
    name: formation.name,
    local_name: formation.local_name,
    conveners: formation.conveners,
    formed_at: formation.effective_from,
    event_id: formation.event_id,
  }
  const members = [...spells].filter(([, s]) => s.since !== null).sort(([a], [b]) => (a < b ? -1 : 1))
  if (members.length === 0) return [{ ...base, member: null, member_name: null, since: null }]
  return members.map(([member, s]) => ({ ...base, member, member_name: s.name, since: s.since }))
}
