import { byEffectiveTime, bySlug, isoOf } from '../../src/reports/report.js'
import { type EntityNames, nameOf } from '../entity-names.js'
import type { EntryOf, MarketEntry } from '../market-entry.js'
import { entryOf, type Point, pointOf } from './point.js'
import type { MarketSnapshot } from './schema.js'

interface Formation extends Point {
  readonly name: string
  readonly localName: string | null
  readonly conveners: readonly string[]
}

/** A member's changes in effect at asOf: its latest departure, and the joins after it, in valid-time order. */
interface Spell {
  lastLeave: Point | null
  joins: Point[]
  /** Every join in effect, in recording order, whatever left it behind: the events a membership is told by. */
  readonly joined: Point[]
}

interface AllianceState {
  formation: Formation | null
  readonly members: Map<string, Spell>
}

export type Alliances = Map<string, AllianceState>

function allianceOf(alliances: Alliances, alliance: string): AllianceState {
  return entryOf(alliances, alliance, (): AllianceState => ({ formation: null, members: new Map() }))
}

function spellOf(alliances: Alliances, alliance: string, member: string): Spell {
  const { members } = allianceOf(alliances, alliance)
  return entryOf(members, member, (): Spell => ({ lastLeave: null, joins: [], joined: [] }))
}

/** A formation is the alliance's latest in effect, and its founding members join at its time. */
export function formAlliance(alliances: Alliances, event: EntryOf<'alliance.formed'>): void {
  const d = event.data
  const alliance = allianceOf(alliances, event.subject)
  if (!alliance.formation || event.effectiveAt >= alliance.formation.effectiveAt) {
    alliance.formation = {
      effectiveAt: event.effectiveAt,
      position: event.position,
      id: event.id,
      name: d.name,
      localName: d.localName ?? null,
      conveners: d.conveners,
    }
  }
  for (const member of d.members) join(spellOf(alliances, event.subject, member), event)
}

export function joinAlliance(alliances: Alliances, event: EntryOf<'alliance.member_joined'>): void {
  join(spellOf(alliances, event.subject, event.data.member), event)
}

export function leaveAlliance(alliances: Alliances, event: EntryOf<'alliance.member_left'>): void {
  leave(spellOf(alliances, event.subject, event.data.member), event)
}

/** A join counts when no departure follows it; the earliest such join starts the current spell. */
function join(spell: Spell, event: MarketEntry): void {
  spell.joined.push(pointOf(event))
  if (spell.lastLeave && byEffectiveTime(event, spell.lastLeave) < 0) return
  const at = pointOf(event)
  let i = spell.joins.length
  while (i > 0 && byEffectiveTime(spell.joins[i - 1] as Point, at) > 0) i--
  spell.joins.splice(i, 0, at)
}

function leave(spell: Spell, event: MarketEntry): void {
  if (spell.lastLeave && byEffectiveTime(event, spell.lastLeave) < 0) return
  spell.lastLeave = pointOf(event)
  const after = spell.joins.findIndex((j) => byEffectiveTime(j, event) > 0)
  spell.joins = after < 0 ? [] : spell.joins.slice(after)
}

/** Alliances formed by asOf with their current members, by slug: as GET /v1/alliances answers. */
export function alliancesOf(alliances: Alliances, names: EntityNames): MarketSnapshot['alliances'] {
  return [...alliances]
    .filter(([, a]) => a.formation !== null)
    .sort(([a], [b]) => bySlug(a, b))
    .map(([alliance, { formation, members }]) => {
      const f = formation as Formation
      return {
        alliance,
        name: f.name,
        localName: f.localName,
        conveners: [...f.conveners],
        members: [...members]
          .filter(([, spell]) => spell.joins.length > 0)
          .sort(([a], [b]) => bySlug(a, b))
          .map(([member, spell]) => ({
            member,
            name: nameOf(names, member),
            since: isoOf((spell.joins[0] as Point).effectiveAt),
          })),
        formedAt: isoOf(f.effectiveAt),
        eventId: f.id,
      }
    })
}

/**
 * The events behind each current member of each alliance, by `alliance\nmember`: the joins (a
 * founding member's is the formation) that took effect when its current membership began.
 */
export function memberEventsOf(alliances: Alliances): Map<string, string[]> {
  const events = new Map<string, string[]>()
  for (const [alliance, { members }] of alliances) {
    for (const [member, spell] of members) {
      const first = spell.joins[0]
      if (!first) continue
      const ids = spell.joined.filter((j) => j.effectiveAt === first.effectiveAt).map((j) => j.id)
      events.set(`${alliance}\n${member}`, ids)
    }
  }
  return events
}
