import { jsonEqual } from './json-equal.js'
import { type ComparableRow, type DiffModel, diffModels, type RowKey } from './model.js'
import type { Change } from './schemas.js'

/**
 * One model's rows at the three points of a diff: A (fromAsOf, fromKnownAt), B (toAsOf,
 * toKnownAt), and M (toAsOf, fromKnownAt), which tells the two causes apart: a row that differs
 * between M and B changed because what was known changed.
 */
export interface ModelStates {
  readonly from: readonly ComparableRow[]
  readonly middle: readonly ComparableRow[]
  readonly to: readonly ComparableRow[]
}

/** `product=qwen-long;component=input`: a key as one line of text, in its own field order. */
export function keyText(key: RowKey): string {
  return Object.entries(key)
    .map(([name, value]) => `${name}=${value ?? ''}`)
    .join(';')
}

/**
 * The rows that differ between A and B, by key and by deep equality of their JSON; a row
 * present at one point only is added or removed. Ordered by key.
 */
export function compareStates(model: DiffModel, states: ModelStates): Change[] {
  const from = byKey(states.from)
  const middle = byKey(states.middle)
  const to = byKey(states.to)
  const changes: Change[] = []
  for (const [text, key] of keysOf(from, to)) {
    const before = from.get(text)
    const after = to.get(text)
    if (before && after && jsonEqual(before.row, after.row)) continue
    const known = middle.get(text)
    changes.push({
      model,
      key,
      change: before ? (after ? 'changed' : 'removed') : 'added',
      before: before ? before.row : null,
      after: after ? after.row : null,
      cause: sameRow(known, after) ? 'valid-time' : 'knowledge',
      eventIds: [...new Set([...(before?.eventIds ?? []), ...(after?.eventIds ?? [])])],
    })
  }
  return changes.sort((a, b) => compareKeys(a.key, b.key))
}

/**
 * Adds to each knowledge change the retractions of its events: `retractionsOf` maps a retracted
 * event id (lower case) to the retraction events that took it back between the two knownAt.
 */
export function withRetractions(
  changes: readonly Change[],
  retractionsOf: ReadonlyMap<string, readonly string[]>,
): Change[] {
  return changes.map((c) => {
    if (c.cause !== 'knowledge') return c
    const retractions = c.eventIds.flatMap((id) => retractionsOf.get(id.toLowerCase()) ?? [])
    return retractions.length ? { ...c, eventIds: [...new Set([...c.eventIds, ...retractions])] } : c
  })
}

/** Changes in the order of `diffModels`, then of their keys. */
export function orderChanges(changes: readonly Change[]): Change[] {
  const rank = (model: DiffModel) => diffModels.indexOf(model)
  return [...changes].sort((a, b) => rank(a.model) - rank(b.model) || compareKeys(a.key, b.key))
}

/** Keys field by field, each value by code point (null first), so the order depends on no locale. */
export function compareKeys(a: RowKey, b: RowKey): number {
  const left = Object.values(a)
  const right = Object.values(b)
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] ?? null
    const y = right[i] ?? null
    if (x === y) continue
    if (x === null || y === null) return x === null ? -1 : 1
    return x < y ? -1 : 1
  }
  return left.length - right.length
}

function byKey(rows: readonly ComparableRow[]): Map<string, ComparableRow> {
  return new Map(rows.map((r) => [keyText(r.key), r]))
}

function keysOf(...states: ReadonlyMap<string, ComparableRow>[]): Map<string, RowKey> {
  const keys = new Map<string, RowKey>()
  for (const state of states) for (const [text, row] of state) if (!keys.has(text)) keys.set(text, row.key)
  return keys
}

function sameRow(a: ComparableRow | undefined, b: ComparableRow | undefined): boolean {
  return a === undefined || b === undefined ? a === b : jsonEqual(a.row, b.row)
}
