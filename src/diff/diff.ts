import type { Kysely } from 'kysely'
import { readAtPoints } from './between.js'
import { compareStates, type ModelStates, orderChanges, withRetractions } from './compare.js'
import type { Comparable, DiffPoint, DiffPoints, DiffScope, RowsAtDiffPoints } from './model.js'
import type { Change } from './schemas.js'

export interface DiffRequest {
  readonly from: { readonly asOf: Date; readonly knownAt: Date }
  readonly to: { readonly asOf: Date; readonly knownAt: Date }
  /** One publication bound for both points. */
  readonly reportedBy?: Date | undefined
  readonly scope: DiffScope
}

/** The retraction events recorded in (after, upTo], by the id (lower case) of the event each retracts. */
export type RetractionsBetween = (
  after: Date,
  upTo: Date,
  reportedBy: Date | undefined,
) => Promise<ReadonlyMap<string, readonly string[]>>

/**
 * Every row of every model that differs between A and B. Each model's states are read at once, and
 * M = (toAsOf, fromKnownAt) only where it is neither A (equal asOf) nor B (equal knownAt).
 */
export async function diffBetween<DB>(
  db: Kysely<DB>,
  comparables: readonly Comparable[],
  request: DiffRequest,
  retractionsBetween: RetractionsBetween,
): Promise<Change[]> {
  const { reportedBy, scope } = request
  const a: DiffPoint = { ...request.from, reportedBy }
  const b: DiffPoint = { ...request.to, reportedBy }
  const m: DiffPoint = { asOf: b.asOf, knownAt: a.knownAt, reportedBy }
  const sameAsOf = a.asOf.getTime() === b.asOf.getTime()
  const sameKnownAt = a.knownAt.getTime() === b.knownAt.getTime()
  const perModel = await Promise.all(
    comparables.map(async (comparable) => {
      const points = { from: a, to: b, middle: sameAsOf || sameKnownAt ? undefined : m }
      const { from, to, middle } = await rowsAtPoints(db, comparable, points, scope)
      const states: ModelStates = { from, to, middle: middle ?? (sameAsOf ? from : to) }
      return compareStates(comparable.model, states)
    }),
  )
  const changes = orderChanges(perModel.flat())
  if (sameKnownAt || !changes.some((c) => c.cause === 'knowledge')) return changes
  const [earlier, later] = a.knownAt < b.knownAt ? [a.knownAt, b.knownAt] : [b.knownAt, a.knownAt]
  return withRetractions(changes, await retractionsBetween(earlier, later, reportedBy))
}

/** A model's rows at the diff's points: the keys that can differ where it can tell them, else its whole state. */
async function rowsAtPoints<DB>(
  db: Kysely<DB>,
  comparable: Comparable,
  points: DiffPoints,
  scope: DiffScope,
): Promise<RowsAtDiffPoints> {
  if (comparable.rowsBetween) return comparable.rowsBetween(db, points, scope)
  return readAtPoints(points, (at) => comparable.rowsAt(db, at, scope))
}
