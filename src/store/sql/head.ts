import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../../db/schema.js'

/**
 * The last position of the log, 0 while it is empty, as an expression: for a statement that
 * needs the head in the same snapshot as what it reads or writes beside it. `max(position)`
 * reads one end of the primary key.
 */
export const logHead: RawBuilder<number> = sql<number>`(select coalesce(max(position), 0) from events)`

/**
 * The last position of the log (0 while it is empty). Appends are serialised, so every
 * position below it that a reader will ever see is already visible to it.
 */
export async function headPosition(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ head: number }>`select ${logHead} as head`.execute(db)
  return rows[0]?.head ?? 0
}
