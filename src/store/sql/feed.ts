import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { EventRow } from './read-log.js'

/** The shared advisory lock every append takes (append-function.ts, append-group-function.ts). */
const appendLock = sql`7388460240563250001::bigint`

export interface FeedHorizon {
  /** Every fact recorded before this instant is visible at or below `position`; later ones are recorded at or after it. */
  readonly at: Date
  /** The head of the log as the horizon was taken. */
  readonly position: number
  /** The earliest effectiveFrom at or after `at` of a fact recorded before it took effect; null if none. */
  readonly nextEffective: Date | null
}

/**
 * Where a live reader may read up to without a later append landing before it, in recording time
 * as well as in position. Positions alone are enough for the log (appends are serialised), but an
 * effective notice is placed by its instant among facts placed by their recordedAt: sending it at
 * instant F is safe only once no fact recorded before F can still commit. The shared lock waits
 * out the append holding the exclusive one (its commit is visible once the lock is released); any
 * later append takes the lock after this transaction ends, so its recordedAt, the millisecond of
 * its clock or later, is at least this clock's millisecond.
 */
export async function selectFeedHorizon(db: Kysely<Database>): Promise<FeedHorizon> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock_shared(${appendLock})`.execute(trx)
    // A statement of its own: its snapshot is taken after the lock, so it sees that append.
    const { rows } = await sql<{ at: Date; position: number; next_effective: Date | null }>`
      with h as (select date_trunc('milliseconds', clock_timestamp()) as at)
      select h.at,
             (select coalesce(max(position), 0) from events) as position,
             (select min(e.effective_from) from events e
               where e.effective_from >= h.at and e.effective_from > e.recorded_at) as next_effective
        from h`.execute(trx)
    const row = rows[0]
    if (!row) throw new Error('the feed horizon query answered no row')
    return { at: row.at, position: Number(row.position), nextEffective: row.next_effective }
  })
}

/** The recordedAt of the last event at or below `position`; null when there is none (position 0). */
export async function selectRecordedAtOrBefore(db: Kysely<Database>, position: number): Promise<Date | null> {
  const row = await db
    .selectFrom('events')
    .select('recorded_at')
    .where('position', '<=', position)
    .orderBy('position', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.recorded_at ?? null
}

export interface EffectiveFilter {
  /** Only notices due before this instant (a horizon's `at`). */
  readonly before: Date
  /** After a recorded fact: notices due at or after its recordedAt (null: all). */
  readonly dueFrom?: Date | null
  /** After the effective notice of the fact at this position: notices after it in (effectiveFrom, position). */
  readonly afterNoticeOf?: number
  readonly types?: readonly string[]
  readonly subjects?: readonly string[]
  readonly limit: number
}

/**
 * Facts recorded before they took effect, in the order their effectiveFrom passes, from the
 * (effective_from, position) index: a range scan over the instants since the reader last looked.
 */
export async function selectEffectiveNotices(
  db: Kysely<Database>,
  filter: EffectiveFilter,
): Promise<EventRow[]> {
  let q = db
    .selectFrom('events')
    .selectAll()
    .where(sql<boolean>`effective_from > recorded_at`)
    .where('effective_from', '<', filter.before)
    .orderBy('effective_from')
    .orderBy('position')
    .limit(filter.limit)
  if (filter.dueFrom) q = q.where('effective_from', '>=', filter.dueFrom)
  if (filter.afterNoticeOf !== undefined) {
    // Compared with the row itself: effectiveFrom may carry microseconds a JS Date would drop.
    q = q.where(
      sql<boolean>`(effective_from, position) > (select n.effective_from, n.position from events n where n.position = ${filter.afterNoticeOf})`,
    )
  }
  if (filter.types) q = q.where('type', 'in', filter.types.length ? [...filter.types] : [''])
  if (filter.subjects) q = q.where('subject', 'in', filter.subjects.length ? [...filter.subjects] : [''])
  return q.execute()
}
