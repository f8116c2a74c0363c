import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'

/**
 * The last position recorded at or before `knownAt`. recorded_at never decreases in position
 * order, so the newest matching row, found walking the primary key backwards, is the answer.
 */
export async function lastPositionKnownAt(db: Kysely<Database>, knownAt: Date): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select('position')
    .where('recorded_at', '<=', knownAt)
    .orderBy('position', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.position ?? 0
}
