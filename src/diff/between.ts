import { type RawBuilder, sql } from 'kysely'
import type { ComparableRow, DiffPoint, DiffPoints, RowsAtDiffPoints } from './model.js'

/** An interval (low, high] on one time axis, between a diff's two points. */
export interface Span {
  readonly low: Date
  readonly high: Date
}

/**
 * The two points' spans, each absent where A and B are the same on that axis: the change points
 * that lie in them (M lies within them on both axes) are all a `rowsBetween` looks for.
 */
export function spansOf({ from, to }: DiffPoints): { readonly asOf?: Span; readonly knownAt?: Span } {
  const span = (a: Date, b: Date): Span | undefined =>
    a < b ? { low: a, high: b } : b < a ? { low: b, high: a } : undefined
  const asOf = span(from.asOf, to.asOf)
  const knownAt = span(from.knownAt, to.knownAt)
  return { ...(asOf ? { asOf } : {}), ...(knownAt ? { knownAt } : {}) }
}

/** True where `column` lies in the span. */
export function within(column: string, span: Span): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(column)} > ${span.low} and ${sql.ref(column)} <= ${span.high})`
}

/**
 * True where the change point at `alias` was recorded or retracted in the span of knownAt: with
 * `reportedBy` one bound for both points, nothing else in `knownBy` differs between them.
 */
export function learnedWithin(alias: string, span: Span): RawBuilder<boolean> {
  return sql<boolean>`(${within(`${alias}.recorded_at`, span)} or ${within(`${alias}.retracted_at`, span)})`
}

/** A model's rows at A, at B, and at M where the diff has it, each read by `read`. */
export async function readAtPoints(
  points: DiffPoints,
  read: (at: DiffPoint) => Promise<ComparableRow[]>,
): Promise<RowsAtDiffPoints> {
  const [from, to, middle] = await Promise.all([
    read(points.from),
    read(points.to),
    points.middle ? read(points.middle) : undefined,
  ])
  return { from, to, middle }
}
