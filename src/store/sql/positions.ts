import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'

/**
 * The position `count` events after `after`: where a full batch of that many ends. Undefined
 * when fewer follow. Appends are serialised, so every position at or below one visible now is
 * already committed: a batch that ends here leaves nothing behind it to commit later.
 */
export async function fullBatchEnd(
  db: Kysely<Database>,
  after: number,
  count: number,
): Promise<number | undefined> {
  const { rows } = await sql<{ position: number }>`
    select position from events where position > ${after} order by position offset ${count - 1} limit 1
  `.execute(db)
  return rows[0]?.position
}

/** The first position recorded at or after `since`; undefined when none is. */
export async function firstPositionRecordedSince(
  db: Kysely<Database>,
  since: Date,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.min('position').as('position'))
    .where('recorded_at', '>=', since)
    .executeTakeFirst()
  return row?.position ?? undefined
}

/**
 * The last position of a real event at or below `position` (0 when there is none): a position
 * never committed (a rolled-back append, or beyond the head) stands for the event before it.
 */
export async function lastPositionAtOrBelow(db: Kysely<Database>, position: number): Promise<number> {
  const { rows } = await sql<{ position: number }>`
    select coalesce(max(position), 0) as position from events where position <= ${position}
  `.execute(db)
  return rows[0]?.position ?? 0
}
