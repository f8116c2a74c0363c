import { compareStates, orderChanges, withRetractions } from '../../src/diff/compare.js'
import { type DiffScope, diffModels } from '../../src/diff/model.js'
import type { Change } from '../../src/diff/schemas.js'
import type { EntryKnowledge, ReportParameters } from '../../src/reports/report.js'
import type { MarketEntry } from '../market-entry.js'
import { evolveSnapshot, initialSnapshot, type SnapshotState } from '../market-snapshot/fold.js'
import { modelRowsOf } from './rows.js'

/**
 * The market at the three points of a diff, folded in one pass: A (fromAsOf, fromKnownAt), B
 * (toAsOf, toKnownAt) and M (toAsOf, fromKnownAt), which tells a knowledge change from a
 * valid-time one. M is folded only where it is neither A (same asOf) nor B (same knownAt).
 */
export interface ChangesState {
  readonly scope: DiffScope
  readonly a: SnapshotState
  readonly m: SnapshotState | null
  readonly b: SnapshotState
  readonly sameAsOf: boolean
  /** Which of the two knownAt (0: from, 1: to) is the earlier; null when they are the same. */
  readonly earlier: 0 | 1 | null
  /** Retractions recorded between the two knownAt, by the id (lower case) of the event each retracts. */
  readonly retractions: Map<string, string[]>
}

/** The two knownAt of a comparison, in the order `evolve` is told about them: from, then to. */
export function knownAtsOf(parameters: ReportParameters): readonly number[] {
  return [parameters.fromKnownAt ?? parameters.knownAt, parameters.toKnownAt ?? parameters.knownAt]
}

export function initialChanges(parameters: ReportParameters): ChangesState {
  const [fromKnownAt, toKnownAt] = knownAtsOf(parameters) as [number, number]
  const fromAsOf = parameters.fromAsOf ?? parameters.asOf
  const sameAsOf = fromAsOf === parameters.asOf
  const earlier = fromKnownAt === toKnownAt ? null : fromKnownAt < toKnownAt ? 0 : 1
  return {
    scope: parameters.scope ?? {},
    a: initialSnapshot(fromAsOf),
    m: sameAsOf || earlier === null ? null : initialSnapshot(parameters.asOf),
    b: initialSnapshot(parameters.asOf),
    sameAsOf,
    earlier,
    retractions: new Map(),
  }
}

/** A fact goes into each state whose knownAt it counts at; a retraction only notes when it was recorded. */
export function evolveChanges(
  state: ChangesState,
  event: MarketEntry,
  knowledge?: EntryKnowledge,
): ChangesState {
  if (!knowledge) return state
  if (event.type === 'event.retracted') {
    const { earlier } = state
    if (earlier !== null && knowledge.recorded[1 - earlier] && !knowledge.recorded[earlier]) {
      const retracted = event.data.eventId.toLowerCase()
      state.retractions.set(retracted, [...(state.retractions.get(retracted) ?? []), event.id])
    }
    return state
  }
  if (knowledge.counts[0]) {
    evolveSnapshot(state.a, event)
    if (state.m) evolveSnapshot(state.m, event)
  }
  if (knowledge.counts[1]) evolveSnapshot(state.b, event)
  return state
}

/** The rows that differ between A and B, compared exactly as GET /v1/diff compares its read models' rows. */
export function changesOf(state: ChangesState): { scope: DiffScope; changes: Change[] } {
  const from = modelRowsOf(state.a, state.scope)
  const to = modelRowsOf(state.b, state.scope)
  const middle = state.m ? modelRowsOf(state.m, state.scope) : state.sameAsOf ? from : to
  const changes = orderChanges(
    diffModels.flatMap((model) =>
      compareStates(model, { from: from[model], middle: middle[model], to: to[model] }),
    ),
  )
  if (state.earlier === null || !changes.some((c) => c.cause === 'knowledge')) {
    return { scope: state.scope, changes }
  }
  return { scope: state.scope, changes: withRetractions(changes, state.retractions) }
}
