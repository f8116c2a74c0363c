import { type Kysely, sql } from 'kysely'
import { appendFunction } from '../../store/sql/append-function.js'

/**
 * Creates `mt_append_events` from its current text (`src/store/sql/append-function.ts`), which
 * answers with what only the database knows instead of whole rows. Sending the data back and
 * parsing it again cost about a fifth of a batch append. On a database migrated before that
 * text moved, 001-event-log had created an earlier version returning whole rows: `create or
 * replace` cannot change the returned columns, so it is dropped first (on a new database there
 * is nothing to drop).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists mt_append_events(jsonb)`.execute(db)
  await sql.raw(appendFunction).execute(db)
}

export async function down(): Promise<void> {
  throw new Error('005-lean-append cannot be undone on its own; roll back 001-event-log instead')
}
