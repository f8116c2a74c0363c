import { type RawBuilder, sql } from 'kysely'
import type { Knowledge } from './change-points.js'

/**
 * A change point's knowledge columns in microseconds since the epoch, as `knownTimes` selects
 * them: a read that serves many knowledges at once (a history's retracted facts, each told as
 * known just before its retraction) reads its rows once and keeps, for each knowledge, those
 * `isKnownBy` holds for.
 */
export interface KnownTimes {
  readonly recorded_us: number
  readonly reported_us: number
  readonly retracted_us: number | null
  readonly retraction_reported_us: number | null
}

const micros = (column: RawBuilder<unknown>) => sql<number>`(extract(epoch from ${column}) * 1000000)::float8`

/** The select list of `KnownTimes` of the row at `alias`; exact, as timestamps hold microseconds. */
export function knownTimes(alias: string): RawBuilder<KnownTimes> {
  const column = (name: string) => micros(sql.ref(`${alias}.${name}`))
  return sql<KnownTimes>`${column('recorded_at')} as recorded_us, ${column('reported_at')} as reported_us,
    ${column('retracted_at')} as retracted_us, ${column('retraction_reported_at')} as retraction_reported_us`
}

/** `knownBy` (change-points.ts) in JavaScript, over the row's `KnownTimes`: the same rows, whatever the knowledge. */
export function isKnownBy(row: KnownTimes, knowledge: Knowledge): boolean {
  const knownAt = knowledge.knownAt.getTime() * 1000
  const retracted = row.retracted_us
  if (knowledge.reportedBy === undefined)
    return row.recorded_us <= knownAt && (retracted === null || retracted > knownAt)
  const by = knowledge.reportedBy.getTime() * 1000
  const retraction = row.retraction_reported_us
  return (
    row.recorded_us <= knownAt &&
    row.reported_us <= by &&
    (retracted === null || retracted > knownAt || (retraction !== null && retraction > by))
  )
}
