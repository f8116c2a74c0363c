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

/** One request's part of a group's answer: its rows, or the error that refused it alone. */
export type GroupAnswer =
  | { readonly rows: readonly AppendedRow[]; readonly error?: undefined }
  | { readonly error: unknown; readonly rows?: undefined }

interface GroupRow extends AppendedRow {
  readonly request: number
  readonly refusal: { readonly code: string; readonly message: string; readonly detail: string | null } | null
}

/**
 * Appends several batches in one statement and one transaction (`mt_append_group`, see
 * append-group-function.ts): one lock, one commit. Each batch is still all or nothing, and its
 * refusal is its own: the answer holds, per batch in order, its rows or its error.
 */
export async function appendGroup(
  db: Kysely<Database>,
  batches: ReadonlyArray<readonly BatchRow[]>,
): Promise<GroupAnswer[]> {
  const { rows } = await sql<GroupRow>`
    select * from mt_append_group(${JSON.stringify(batches)}::jsonb)
  `.execute(db)
  const answers = batches.map(() => [] as AppendedRow[])
  const refusals = new Map<number, unknown>()
  for (const row of rows) {
    if (row.refusal) refusals.set(row.request, translateAppendError(refusedBy(row.refusal)))
    else answers[row.request]?.push(row)
  }
  return answers.map((rows, request) => (refusals.has(request) ? { error: refusals.get(request) } : { rows }))
}

/** The refusal as the driver would have reported it, had the batch been sent alone. */
function refusedBy(refusal: NonNullable<GroupRow['refusal']>): Error {
  return Object.assign(new Error(refusal.message), {
    code: refusal.code,
    ...(refusal.detail ? { detail: refusal.detail } : {}),
  })
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
