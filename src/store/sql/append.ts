import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import { ConcurrencyError, IdConflict } from '../../errors.js'
import type { BatchRow } from '../batch.js'

/** What `mt_append_events` answers per event of the batch (see append-function.ts). */
export interface AppendedRow {
  readonly idx: number
  readonly appended: boolean
  readonly position: number
  readonly version: number
  readonly effective_from: Date
  readonly recorded_at: Date
}

/**
 * Appends a batch in one statement, one round trip: `mt_append_events` takes the log's lock,
 * checks ids and versions and inserts, all or nothing. Its refusals become domain errors.
 */
export async function appendBatch(db: Kysely<Database>, batch: readonly BatchRow[]): Promise<AppendedRow[]> {
  try {
    const { rows } = await sql<AppendedRow>`
      select * from mt_append_events(${JSON.stringify(batch)}::jsonb)
    `.execute(db)
    return rows
  } catch (error) {
    throw translateAppendError(error)
  }
}

/** mt_append_events reports its two refusals with its own SQLSTATEs and a JSON detail. */
function translateAppendError(error: unknown): unknown {
  const pgError = error as { code?: string; detail?: string }
  if (pgError.code === 'MT001' && pgError.detail) {
    const { index, id } = JSON.parse(pgError.detail) as { index: number; id: string }
    return new IdConflict(index, id)
  }
  if (pgError.code === 'MT002' && pgError.detail) {
    const d = JSON.parse(pgError.detail) as {
      index: number
      subject: string
      expectedVersion: number
      actualVersion: number
    }
    return new ConcurrencyError(d.index, d.subject, d.expectedVersion, d.actualVersion)
  }
  return error
}
