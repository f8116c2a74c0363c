import { statusOf } from '../../src/catalogue/catalogue.js'
import { byEffectiveTime, isoOf } from '../../src/reports/report.js'
import { type EntityNames, nameOf } from '../entity-names.js'
import type { EntryOf } from '../market-entry.js'
import { entryOf, type Point } from './point.js'
import type { MarketSnapshot } from './schema.js'

interface Establishment extends Point {
  readonly precision: string
  readonly summary: string | null
}

/** One relation's changes in effect at asOf: its latest end, and the establishments after it. */
interface Spell {
  readonly from: string
  readonly to: string
  readonly kind: string
  lastEnd: Point | null
  establishments: Establishment[]
}

/** (from, kind, to) → its spell. */
export type Relations = Map<string, Spell>

function spellOf(relations: Relations, from: string, kind: string, to: string): Spell {
  return entryOf(
    relations,
    `${from}\u0000${kind}\u0000${to}`,
    (): Spell => ({ from, to, kind, lastEnd: null, establishments: [] }),
  )
}

/** A planned or announced establishment is not in effect; any other counts unless an end follows it. */
export function establishRelation(relations: Relations, event: EntryOf<'relation.established'>): void {
  if (statusOf(event)) return
  const spell = spellOf(relations, event.subject, event.data.kind, event.data.to)
  if (spell.lastEnd && byEffectiveTime(event, spell.lastEnd) < 0) return
  const at: Establishment = {
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    precision: event.precision,
    summary: event.data.summary ?? null,
  }
  let i = spell.establishments.length
  while (i > 0 && byEffectiveTime(spell.establishments[i - 1] as Point, at) > 0) i--
  spell.establishments.splice(i, 0, at)
}

/** An end removes the establishments before it; with none before it, it ends nothing. */
export function endRelation(relations: Relations, event: EntryOf<'relation.ended'>): void {
  const spell = spellOf(relations, event.subject, event.data.kind, event.data.to)
  if (spell.lastEnd && byEffectiveTime(event, spell.lastEnd) < 0) return
  spell.lastEnd = { effectiveAt: event.effectiveAt, position: event.position, id: event.id }
  const after = spell.establishments.findIndex((e) => byEffectiveTime(e, event) > 0)
  spell.establishments = after < 0 ? [] : spell.establishments.slice(after)
}

/** Relations in effect, in valid-time order of since: as GET /v1/relations answers. */
export function relationsOf(relations: Relations, names: EntityNames): MarketSnapshot['relations'] {
  return [...relations.values()]
    .flatMap((spell) => {
      const first = spell.establishments[0]
      return first ? [{ spell, first }] : []
    })
    .sort((a, b) => byEffectiveTime(a.first, b.first))
    .map(({ spell, first }) => ({
      from: spell.from,
      fromName: nameOf(names, spell.from),
      to: spell.to,
      toName: nameOf(names, spell.to),
      kind: spell.kind,
      since: isoOf(first.effectiveAt),
      precision: first.precision,
      summary: first.summary,
      eventId: first.id,
    }))
}
