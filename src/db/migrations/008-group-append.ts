import { type Kysely, sql } from 'kysely'
import { appendFunction } from '../../store/sql/append-function.js'
import { appendGroupFunction } from '../../store/sql/append-group-function.js'

/**
 * Creates `mt_append_group` from its current text (`src/store/sql/append-group-function.ts`):
 * appends that arrive while another is committing are stored together, in one transaction, each
 * request still all or nothing on its own. It also replaces `mt_append_events` with its current
 * text (`src/store/sql/append-function.ts`), which stores a batch with no stored id in one
 * statement: databases that ran 005-lean-append hold the earlier text (a new database gets the
 * same text from 005, so this is a no-op there). Its returned columns are unchanged, so
 * `create or replace` does.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(appendFunction).execute(db)
  await sql.raw(appendGroupFunction).execute(db)
}

/** Drops `mt_append_group`; `mt_append_events` keeps its current text (its answer is the same). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists mt_append_group(jsonb)`.execute(db)
}
