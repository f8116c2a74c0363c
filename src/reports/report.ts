import type { TObject } from 'typebox'

/**
 * One event as a replay sees it: the log's fields a report needs, with `effectiveAt` as epoch
 * milliseconds so that the hot loop compares numbers, not dates.
 */
export interface LogEntry<Data = unknown, Type extends string = string> {
  readonly position: number
  readonly id: string
  readonly type: Type
  readonly subject: string
  readonly occurredAt: string
  readonly precision: string
  /** effectiveFrom, in epoch milliseconds. */
  readonly effectiveAt: number
  /** Upcast to the catalogue's current schema version. */
  readonly data: Data
}

/** A union of recorded events (`MarketEvent`) as a replay sees them, one branch per type. */
export type LogEntryOf<Event extends { readonly type: string; readonly data: unknown }> =
  Event extends unknown ? LogEntry<Event['data'], Event['type']> : never

/** A report's parameters as instants (epoch milliseconds); a date given as text means its end (`to`, `asOf`, `knownAt`) or its start (`from`). */
export interface ReportParameters {
  /** Valid time of a snapshot (default: when the report was asked for). */
  readonly asOf: number
  /** Transaction time: only what was recorded, and not retracted, by then counts. */
  readonly knownAt: number
  /** Valid-time window of a period report, both ends included; null = open. */
  readonly from: number | null
  readonly to: number | null
  /**
   * Publication time: only facts and retractions public by then count (the end of their source's
   * publishedAt, else when they were recorded). Undefined or null: no such limit.
   */
  readonly reportedBy?: number | null
  /** The zone publication dates are read in, with `reportedBy` (default UTC). */
  readonly marketTz?: string
  /**
   * A comparison of two points (`between`): point A is (fromAsOf, fromKnownAt), point B is (asOf,
   * toKnownAt), and `knownAt` is the later of the two knownAt, up to which the log is read.
   */
  readonly fromAsOf?: number
  readonly fromKnownAt?: number
  readonly toKnownAt?: number
  /** What a comparison looks at: the whole market (nothing given), or one company, product or alliance. */
  readonly scope?: { readonly company?: string; readonly product?: string; readonly alliance?: string }
}

/** Which parameters a report takes besides knownAt: a moment, a period, or two points to compare. */
export type ReportPeriod = 'as-of' | 'window' | 'between'

/**
 * What was known of one event at each instant of a report's `knownAts`, in their order. A report
 * without `knownAts` sees only the events that count at its knownAt, and no knowledge.
 */
export interface EntryKnowledge {
  /** Recorded by then (with reportedBy: and public by it), whether or not retracted since. */
  readonly recorded: readonly boolean[]
  /** Recorded, and not retracted, by then: the event counts as a fact then. */
  readonly counts: readonly boolean[]
}

export type Cell = string | number | null

export interface ReportColumn {
  readonly key: string
  readonly title: string
  readonly align?: 'right'
}

/** One table of a report's CSV and Markdown forms. */
export interface ReportTable {
  readonly name: string
  readonly title: string
  readonly columns: readonly ReportColumn[]
  readonly rows: readonly Readonly<Record<string, Cell>>[]
}

/**
 * A report: a fold over the log from the start, as known at `knownAt`. `evolve` is deterministic
 * and does no I/O, so a report is tested without a database. It updates the state it is given
 * and returns it: copying a state of thousands of entries for each of a million events would
 * make a replay quadratic.
 */
export interface Report<State = unknown, Result extends object = object, Entry extends LogEntry = LogEntry> {
  /** kebab-case, the name in `/v1/reports/:name`. */
  readonly name: string
  readonly title: string
  readonly description: string
  readonly period: ReportPeriod
  /** The event types `evolve` uses; the replay reads only these. */
  readonly eventTypes: readonly Entry['type'][]
  /** The sections of the result, for the response schema and the OpenAPI document. */
  readonly resultSchema: TObject
  /**
   * For a report that compares what was known at several instants (each at most knownAt): those
   * instants. The log is read once, up to knownAt, and every event recorded by then reaches
   * `evolve` with what was known of it at each instant.
   */
  knownAts?(parameters: ReportParameters): readonly number[]
  initialState(parameters: ReportParameters): State
  evolve(state: State, event: Entry, knowledge?: EntryKnowledge): State
  result(state: State, parameters: ReportParameters): Result
  /** The result as tables, for CSV and Markdown. */
  tables(result: Result): ReportTable[]
}

/**
 * Declares a report; its state and result types stay inside its own file. `evolve` takes the
 * log's events as the vocabulary's union `Entry`, so `switch (event.type)` narrows their data:
 * sound because the catalogue validated every event when it was written, and the replay upcasts
 * it when read.
 */
export function defineReport<State, Result extends object, Entry extends LogEntry = LogEntry>(
  report: Report<State, Result, Entry>,
): Report {
  return report as unknown as Report
}

/** Valid-time order: effective time, then recording order. */
export function byEffectiveTime(
  a: { readonly effectiveAt: number; readonly position: number },
  b: { readonly effectiveAt: number; readonly position: number },
): number {
  return a.effectiveAt - b.effectiveAt || a.position - b.position
}

/** Code-unit order of slugs, the same on every machine (database collations differ). */
export function bySlug(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function isoOf(epochMs: number): string {
  return new Date(epochMs).toISOString()
}
