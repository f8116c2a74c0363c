import { type Kysely, sql } from 'kysely'
import { appendGroupFunction } from '../../store/sql/append-group-function.js'

/**
 * Creates `mt_append_group` from its current text (`src/store/sql/append-group-function.ts`):
 * appends that arrive while another is committing are stored together, in one transaction, each
 * request still all or nothing on its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(appendGroupFunction).execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists mt_append_group(jsonb)`.execute(db)
}
