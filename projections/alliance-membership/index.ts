import type { MarketEvent } from '../../events/index.js'
import { statusOf } from '../../src/catalogue/catalogue.js'
import { type ChangePoint, changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { allianceComparable, allianceMemberComparable } from './comparables.js'
import { allianceQueries } from './queries.js'

/**
 * Alliances and who is in them, as change points: the formation (name, conveners) from
 * alliance.formed, and one membership change per founding member, join or departure. A planned
 * or announced formation forms nothing: it is left out, founding members and all.
 */
export interface AllianceRow extends ChangePoint {
  alliance: string
  name: string
  local_name: string | null
  conveners: string[]
  summary: string | null
}

export interface MembershipChangeRow extends ChangePoint {
  alliance: string
  member: string
  change: 'joined' | 'left'
}

interface Tables {
  alliances: AllianceRow
  membership_changes: MembershipChangeRow
}

export const allianceMembershipProjection = defineProjection<Tables, MarketEvent>({
  name: 'alliance-membership',
  description: 'Alliances, their conveners and members, as of any date',
  tables: {
    alliances:
      changePointTable(`alliance text not null, name text not null, local_name text, conveners text[] not null,
      summary text`),
    membership_changes: changePointTable(`alliance text not null, member text not null,
      change text not null check (change in ('joined', 'left'))`),
  },
  eventTypes: ['alliance.formed', 'alliance.member_joined', 'alliance.member_left'],
  indexes: [
    'alliances (alliance, effective_from, position)',
    'alliances using gin (conveners)',
    'alliances (event_id)',
    'membership_changes (alliance, member, effective_from, position)',
    'membership_changes (member)',
    'membership_changes (event_id)',
  ],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'alliances',
      events.flatMap((e) => allianceRowsOf(e, marketTz)),
    )
    await insertRows(
      db,
      'membership_changes',
      events.flatMap((e) => membershipChangesOf(e, marketTz)),
    )
  },
  queries: allianceQueries,
  comparables: [allianceComparable, allianceMemberComparable],
})

export function allianceRowsOf(event: MarketEvent, marketTz: string): AllianceRow[] {
  if (event.type !== 'alliance.formed' || statusOf(event)) return []
  const d = event.data
  return [
    {
      alliance: event.subject,
      name: d.name,
      local_name: d.localName ?? null,
      conveners: d.conveners,
      summary: d.summary ?? null,
      ...pointOf(event, marketTz),
    },
  ]
}

/** The founding members join at the formation's effective time. */
export function membershipChangesOf(event: MarketEvent, marketTz: string): MembershipChangeRow[] {
  const change = (member: string, kind: 'joined' | 'left'): MembershipChangeRow => ({
    alliance: event.subject,
    member,
    change: kind,
    ...pointOf(event, marketTz),
  })
  switch (event.type) {
    case 'alliance.formed':
      if (statusOf(event)) return []
      return event.data.members.map((member) => change(member, 'joined'))
    case 'alliance.member_joined':
      return [change(event.data.member, 'joined')]
    case 'alliance.member_left':
      return [change(event.data.member, 'left')]
    default:
      return []
  }
}
