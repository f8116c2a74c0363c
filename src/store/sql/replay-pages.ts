import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import { reportedAtSql } from '../../time/reported-at.js'

/**
 * One event as a replay reads it: only the columns a fold uses; effective_from as epoch
 * milliseconds (a number, not a Date to parse). jsonb arrives parsed.
 */
export interface ReplayRow {
  readonly position: number
  readonly id: string
  readonly type: string
  readonly subject: string
  readonly occurredAt: string
  readonly precision: string
  readonly effectiveAt: number
  /** With `reportedIn`: when the event became public, in epoch milliseconds. */
  readonly reportedAt?: number
  /** Mutable: a replay upcasts in place. */
  schemaVersion: number
  data: unknown
}

export interface ReplayPage {
  readonly after: number
  /** The last position to read. */
  readonly upTo: number
  readonly types: readonly string[]
  readonly limit: number
  /** For `reportedBy`: also read each event's reported instant, its publication dates read in this zone. */
  readonly reportedIn?: string
}

/** The next page of the log for a replay, by position (keyset, the primary key). */
export async function readReplayPage(db: Kysely<Database>, page: ReplayPage): Promise<ReplayRow[]> {
  const reported =
    page.reportedIn === undefined
      ? sql``
      : sql`(extract(epoch from ${reportedAtSql(sql`source->>'publishedAt'`, sql`recorded_at`, page.reportedIn)}) * 1000)::bigint as "reportedAt",`
  const { rows } = await sql<ReplayRow>`
    select position, id, type, subject, occurred_at as "occurredAt", precision, ${reported}
           (extract(epoch from effective_from) * 1000)::bigint as "effectiveAt",
           schema_version as "schemaVersion", data
      from events
     where position > ${page.after} and position <= ${page.upTo} and type = any(${page.types}::text[])
     order by position
     limit ${page.limit}
  `.execute(db)
  return rows
}
