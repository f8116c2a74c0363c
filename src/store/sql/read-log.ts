import { type Kysely, type Selectable, sql } from 'kysely'
import type { Database, EventsTable } from '../../db/schema.js'

export type EventRow = Selectable<EventsTable>

export interface LogFilter {
  /** Only events after this position. */
  readonly after?: number
  /** Only events at or before this position. */
  readonly upTo?: number
  readonly limit: number
  /** Exact type names (patterns are resolved by the caller through the catalogue). */
  readonly types?: readonly string[]
  readonly subject?: string
  /** Only events of one of these subjects. */
  readonly subjects?: readonly string[]
  /** Valid-time range, inclusive: events whose effectiveFrom lies within it. */
  readonly effectiveFrom?: Date
  readonly effectiveTo?: Date
}

/**
 * The log in position order, from the primary key. Never skips an event that commits late:
 * appends are serialised, so position order is commit order (see append-function.ts).
 */
export async function selectLog(db: Kysely<Database>, filter: LogFilter): Promise<EventRow[]> {
  let q = db
    .selectFrom('events')
    .selectAll()
    .where('position', '>', filter.after ?? 0)
    .orderBy('position')
    .limit(filter.limit)
  if (filter.types) q = q.where('type', 'in', filter.types.length ? [...filter.types] : [''])
  if (filter.upTo !== undefined) q = q.where('position', '<=', filter.upTo)
  if (filter.subject) q = q.where('subject', '=', filter.subject)
  if (filter.subjects) q = q.where('subject', 'in', filter.subjects.length ? [...filter.subjects] : [''])
  if (filter.effectiveFrom) q = q.where('effective_from', '>=', filter.effectiveFrom)
  if (filter.effectiveTo) q = q.where('effective_from', '<=', filter.effectiveTo)
  return q.execute()
}

export async function selectById(db: Kysely<Database>, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The events at these positions, in position order. */
export async function selectAtPositions(
  db: Kysely<Database>,
  positions: readonly number[],
): Promise<EventRow[]> {
  if (positions.length === 0) return []
  return db
    .selectFrom('events')
    .selectAll()
    .where('position', '=', sql<number>`any(${[...positions]}::bigint[])`)
    .orderBy('position')
    .execute()
}
