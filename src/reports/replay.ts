import { type Kysely, sql } from 'kysely'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { Database } from '../db/schema.js'
import { describeParameters } from './parameters.js'
import type { LogEntry, Report, ReportParameters } from './report.js'

export interface ReplayProgress {
  /** Events read so far, retracted ones included. */
  readonly replayed: number
  /** Events the replay reads in all: those of the report's types recorded by knownAt. */
  readonly total: number
}

export interface ReplayOptions {
  /** Rows per page of the log (default 10,000): memory holds two pages, the one folded and the next. */
  readonly pageSize?: number
  /** Called once before the first page and after every page; the replay waits for it. */
  readonly onProgress?: (progress: ReplayProgress) => void | Promise<void>
}

/** What every report answer starts with; the report's own sections follow. */
export interface ReportHeader {
  readonly report: string
  /** The last position of the log as known at knownAt: the replay read up to here. */
  readonly position: number
  readonly eventsReplayed: number
}

export type ReportOutput = ReportHeader & Record<string, unknown>

const DEFAULT_PAGE_SIZE = 10_000

/**
 * Computes a report by replaying the log from the start through its fold: only events recorded
 * by `knownAt` count (positions are recording order, so that is a prefix of the log), and an
 * event retracted within that prefix is skipped as if it had never been recorded. Pages are
 * read by position (keyset, the primary key) while the previous page is folded.
 */
export async function replayReport(
  db: Kysely<Database>,
  catalogue: Catalogue,
  report: Report,
  parameters: ReportParameters,
  options: ReplayOptions = {},
): Promise<ReportOutput> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  const cutoff = await lastPositionKnownAt(db, new Date(parameters.knownAt))
  const types = [...report.eventTypes]
  const [retracted, total] = await Promise.all([
    retractedPositions(db, cutoff),
    countEvents(db, cutoff, types),
  ])
  const upcast = upcasterOf(catalogue)
  await options.onProgress?.({ replayed: 0, total })

  let state = report.initialState(parameters)
  let replayed = 0
  let next: Promise<ReplayRow[]> | undefined = readPage(db, 0, cutoff, types, pageSize)
  while (next) {
    const page: ReplayRow[] = await next
    const last = page.at(-1)
    next = last && page.length === pageSize ? readPage(db, last.position, cutoff, types, pageSize) : undefined
    for (const row of page) {
      if (retracted.has(row.position)) continue
      upcast(row)
      state = report.evolve(state, row)
    }
    replayed += page.length
    await options.onProgress?.({ replayed, total })
  }
  return {
    report: report.name,
    ...describeParameters(report, parameters),
    position: cutoff,
    eventsReplayed: replayed,
    ...report.result(state, parameters),
  }
}

interface ReplayRow extends LogEntry {
  schemaVersion: number
  data: unknown
}

/**
 * Only the columns a fold uses; effective_from as epoch milliseconds (a number, not a Date to
 * parse). jsonb arrives parsed.
 */
async function readPage(
  db: Kysely<Database>,
  after: number,
  cutoff: number,
  types: readonly string[],
  limit: number,
): Promise<ReplayRow[]> {
  const { rows } = await sql<ReplayRow>`
    select position, id, type, subject, occurred_at as "occurredAt", precision,
           (extract(epoch from effective_from) * 1000)::bigint as "effectiveAt",
           schema_version as "schemaVersion", data
      from events
     where position > ${after} and position <= ${cutoff} and type = any(${types}::text[])
     order by position
     limit ${limit}
  `.execute(db)
  return rows
}

/** Data written under an older schema version is brought up to the current one, in place. */
function upcasterOf(catalogue: Catalogue): (row: ReplayRow) => void {
  const current = new Map(catalogue.types.map((t) => [t.type, t.schemaVersion]))
  return (row) => {
    if (current.get(row.type) === row.schemaVersion) return
    row.data = catalogue.upcast(row.type, row.schemaVersion, row.data)
    row.schemaVersion = current.get(row.type) ?? row.schemaVersion
  }
}

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

/**
 * Positions of the events retracted by an event.retracted at or before `cutoff`. A retraction
 * counts only for earlier events, as in the read models; retracting a retraction changes nothing.
 */
async function retractedPositions(db: Kysely<Database>, cutoff: number): Promise<Set<number>> {
  const { rows } = await sql<{ position: number }>`
    select t.position
      from events r
      join events t on t.id = (r.data->>'eventId')::uuid and t.position < r.position
     where r.type = 'event.retracted' and r.position <= ${cutoff}
  `.execute(db)
  return new Set(rows.map((r) => r.position))
}

async function countEvents(db: Kysely<Database>, cutoff: number, types: readonly string[]): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from events where position <= ${cutoff} and type = any(${types}::text[])
  `.execute(db)
  return rows[0]?.n ?? 0
}
