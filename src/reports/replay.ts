import type { Kysely } from 'kysely'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { Database } from '../db/schema.js'
import { lastPositionKnownAt } from '../store/sql/known-at.js'
import { type ReplayRow, readReplayPage } from '../store/sql/replay-pages.js'
import {
  type ReportedRetraction,
  reportedRetractionsUpTo,
  retractionsUpTo,
} from '../store/sql/retractions.js'
import { describeParameters } from './parameters.js'
import type { EntryKnowledge, Report, ReportParameters } from './report.js'

/**
 * How far a replay has come, in positions of the log: positions number the events in recording
 * order (an append that was rolled back leaves a gap), so they count the events read so far
 * without a count of the whole log first.
 */
export interface ReplayProgress {
  /** The position reached. */
  readonly replayed: number
  /** The last position to replay: the last one recorded by knownAt. */
  readonly total: number
}

export interface ReplayOptions {
  /** Rows per page of the log (default 5,000): memory holds two pages, the one folded and the next. */
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

const DEFAULT_PAGE_SIZE = 5000

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
  const knownAts = report.knownAts?.(parameters)
  const knowledgeOf = knownAts ? await knowledgeAt(db, knownAts, parameters) : undefined
  const retractions = knowledgeOf ? new Map<string, number>() : await retractionsUpTo(db, cutoff)
  const counts = knowledgeOf ? undefined : await reportedFilter(db, parameters, cutoff)
  const reportedIn = parameters.reportedBy != null ? { reportedIn: parameters.marketTz ?? 'UTC' } : {}
  const upcast = upcasterOf(catalogue)
  await options.onProgress?.({ replayed: 0, total: cutoff })

  let state = report.initialState(parameters)
  let read = 0
  let next: Promise<ReplayRow[]> | undefined = readReplayPage(db, {
    after: 0,
    upTo: cutoff,
    types,
    limit: pageSize,
    ...reportedIn,
  })
  while (next) {
    const page: ReplayRow[] = await next
    const last = page.at(-1)
    next =
      last && page.length === pageSize
        ? readReplayPage(db, { after: last.position, upTo: cutoff, types, limit: pageSize, ...reportedIn })
        : undefined
    for (const row of page) {
      const knowledge = knowledgeOf?.(row)
      if (knowledge) {
        if (!knowledge.recorded.includes(true)) continue
      } else if (counts ? !counts(row) : (retractions.get(row.id) ?? 0) > row.position) continue
      upcast(row)
      state = report.evolve(state, row, knowledge)
    }
    read += page.length
    await options.onProgress?.({ replayed: next ? (last?.position ?? cutoff) : cutoff, total: cutoff })
  }
  return {
    report: report.name,
    ...describeParameters(report, parameters),
    position: cutoff,
    eventsReplayed: read,
    ...report.result(state, parameters),
  }
}

/**
 * With `reportedBy`: whether an event counts — it was public by then, and the first retraction of it
 * (as the read models mark it) was not, or came after `cutoff` (was not recorded by knownAt).
 */
async function reportedFilter(
  db: Kysely<Database>,
  parameters: ReportParameters,
  cutoff: number,
): Promise<((row: ReplayRow) => boolean) | undefined> {
  const reportedBy = parameters.reportedBy ?? null
  if (reportedBy === null) return undefined
  const retractions = await reportedRetractionsUpTo(db, cutoff, parameters.marketTz ?? 'UTC')
  const firstAfter = (list: readonly ReportedRetraction[] | undefined, position: number) =>
    list?.find((r) => r.position > position)
  return (row) => {
    if ((row.reportedAt ?? Number.POSITIVE_INFINITY) > reportedBy) return false
    const retraction = firstAfter(retractions.get(row.id), row.position)
    return retraction === undefined || retraction.reportedAt > reportedBy
  }
}

/**
 * For a report that compares several knownAt: what was known of an event at each. An event
 * counts at an instant when it was recorded (and, with reportedBy, public) by then, and the first
 * retraction of it, the one the read models mark, was not: not recorded by then, or not public.
 */
async function knowledgeAt(
  db: Kysely<Database>,
  knownAts: readonly number[],
  parameters: ReportParameters,
): Promise<(row: ReplayRow) => EntryKnowledge> {
  const cutoffs = await Promise.all(knownAts.map((k) => lastPositionKnownAt(db, new Date(k))))
  const last = Math.max(0, ...cutoffs)
  const retractions = await reportedRetractionsUpTo(db, last, parameters.marketTz ?? 'UTC')
  const reportedBy = parameters.reportedBy ?? null
  const isPublic = (reportedAt: number | undefined) =>
    reportedBy === null || (reportedAt ?? Number.POSITIVE_INFINITY) <= reportedBy
  return (row) => {
    const reported = isPublic(row.reportedAt)
    const first = retractions.get(row.id)?.find((r) => r.position > row.position)
    const retractedAt = first && isPublic(first.reportedAt) ? first.position : Number.POSITIVE_INFINITY
    const recorded = cutoffs.map((cutoff) => reported && row.position <= cutoff)
    return { recorded, counts: cutoffs.map((cutoff, i) => recorded[i] === true && retractedAt > cutoff) }
  }
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
