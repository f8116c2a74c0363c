import { type QueryExecutorProvider, type RawBuilder, sql } from 'kysely'
import type { eventRetracted } from '../../events/event-retracted.js'
import type { EventOf, RecordedEvent } from '../catalogue/event-type.js'
import { reportedInstant } from '../time/reported-at.js'

/**
 * Bitemporal read-model rows are change points: a value that took effect at `effective_from`
 * (valid time), learned at `recorded_at` (transaction time), possibly retracted at
 * `retracted_at`, from the event at `position`. These columns are shared by every read model.
 */
const changePointColumns = `
  effective_from timestamptz,
  recorded_at timestamptz not null,
  retracted_at timestamptz,
  position bigint not null,
  event_id uuid not null,
  reported_at timestamptz not null,
  retraction_reported_at timestamptz`

/** A table declared as change points: the projector marks its rows retracted. */
export interface ChangePointTable {
  readonly changePoints: true
  /** The `create table` body: the table's own columns, then the change-point columns. */
  readonly body: string
}

/** Declares a change-point table from its own columns (`product text not null, …`). */
export function changePointTable(columns: string): ChangePointTable {
  return { changePoints: true, body: `(${columns}, ${changePointColumns})` }
}

export interface ChangePoint {
  effective_from: Date | string | null
  recorded_at: Date | string
  retracted_at: Date | string | null
  position: number
  event_id: string
  /** When the fact became public: the end of its source's publishedAt, else recorded_at. */
  reported_at: Date | string
  /** The reported instant of the retraction that retracted_at comes from. */
  retraction_reported_at: Date | string | null
}

/** The change-point columns of a row that comes from `event`; publication dates read in `marketTz`. */
export function pointOf(event: RecordedEvent, marketTz: string): ChangePoint {
  return {
    effective_from: event.effectiveFrom,
    recorded_at: event.recordedAt,
    retracted_at: null,
    position: event.position,
    event_id: event.id,
    reported_at: reportedInstant(event, marketTz),
    retraction_reported_at: null,
  }
}

/** True for a row that was known at `knownAt` and not yet retracted then. */
export function knownAt(alias: string, at: Date): RawBuilder<boolean> {
  const t = sql.ref(alias)
  return sql<boolean>`(${t}.recorded_at <= ${at} and (${t}.retracted_at is null or ${t}.retracted_at > ${at}))`
}

/** What a reader knew: what the service had recorded by `knownAt`, and had been published by `reportedBy`. */
export interface Knowledge {
  readonly knownAt: Date
  readonly reportedBy?: Date | undefined
}

/**
 * True for a row recorded by `knownAt` and reported by `reportedBy`, and not retracted by a
 * retraction that was both. Without `reportedBy` it is `knownAt` itself.
 */
export function knownBy(alias: string, knowledge: Date | Knowledge): RawBuilder<boolean> {
  const k = knowledgeOf(knowledge)
  if (k.reportedBy === undefined) return knownAt(alias, k.knownAt)
  const t = sql.ref(alias)
  const by = k.reportedBy
  return sql<boolean>`(${t}.recorded_at <= ${k.knownAt} and ${t}.reported_at <= ${by}
    and (${t}.retracted_at is null or ${t}.retracted_at > ${k.knownAt} or ${t}.retraction_reported_at > ${by}))`
}

/** A bare instant is `knownAt` alone. */
export function knowledgeOf(knowledge: Date | Knowledge): Knowledge {
  return knowledge instanceof Date ? { knownAt: knowledge } : knowledge
}

export interface Retraction {
  readonly eventId: string
  readonly recordedAt: string
  readonly position: number
  /** When the retraction became public (its own source's publishedAt, else recordedAt). */
  readonly reportedAt: string
}

type RetractionEvent = EventOf<typeof eventRetracted>

/** The catalogue validated the event's data when it was written: its type tells its shape. */
function isRetraction(event: RecordedEvent): event is RetractionEvent {
  return event.type === 'event.retracted'
}

/** The `event.retracted` events of a batch. */
export function retractionsIn(events: readonly RecordedEvent[], marketTz: string): Retraction[] {
  return events.filter(isRetraction).map((e) => ({
    eventId: e.data.eventId,
    recordedAt: e.recordedAt,
    position: e.position,
    reportedAt: reportedInstant(e, marketTz),
  }))
}

/**
 * Marks the rows of retracted events in `tables`. Only rows from earlier positions are
 * touched, so the outcome does not depend on how the log was cut into batches.
 */
export async function applyRetractions(
  db: QueryExecutorProvider,
  tables: readonly string[],
  retractions: readonly Retraction[],
): Promise<void> {
  if (retractions.length === 0) return
  const payload = JSON.stringify(retractions)
  for (const table of tables) {
    // Each row takes the earliest retraction recorded after it — within a batch as across batches —
    // with that retraction's reported instant.
    await sql`
      with r as (
        select * from jsonb_to_recordset(${payload}::jsonb)
                   as r("eventId" uuid, "recordedAt" timestamptz, position bigint, "reportedAt" timestamptz)
      )
      update ${sql.table(table)} as t
         set (retracted_at, retraction_reported_at) = (
               select r."recordedAt", r."reportedAt" from r
                where r."eventId" = t.event_id and r.position > t.position
                order by r.position limit 1)
       where t.retracted_at is null and t.event_id in (select "eventId" from r)
    `.execute(db)
  }
}

/**
 * Inserts rows in one statement with one parameter: the rows as JSON, read back as the
 * table's row type. Faster than a multi-row VALUES for large batches, and free of the
 * 65,535-parameter limit.
 */
export async function insertRows(
  db: QueryExecutorProvider,
  table: string,
  rows: readonly object[],
): Promise<void> {
  if (rows.length === 0) return
  await sql`
    insert into ${sql.table(table)}
    select * from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb)
  `.execute(db)
}
