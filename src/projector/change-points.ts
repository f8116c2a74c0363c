import { type QueryExecutorProvider, type RawBuilder, sql } from 'kysely'
import type { eventRetracted } from '../../events/event-retracted.js'
import type { EventOf, RecordedEvent } from '../catalogue/event-type.js'

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
  event_id uuid not null`

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
}

/** The change-point columns of a row that comes from `event`. */
export function pointOf(event: RecordedEvent): ChangePoint {
  return {
    effective_from: event.effectiveFrom,
    recorded_at: event.recordedAt,
    retracted_at: null,
    position: event.position,
    event_id: event.id,
  }
}

/** True for a row that was known at `knownAt` and not yet retracted then. */
export function knownAt(alias: string, at: Date): RawBuilder<boolean> {
  const t = sql.ref(alias)
  return sql<boolean>`(${t}.recorded_at <= ${at} and (${t}.retracted_at is null or ${t}.retracted_at > ${at}))`
}

export interface Retraction {
  readonly eventId: string
  readonly recordedAt: string
  readonly position: number
}

type RetractionEvent = EventOf<typeof eventRetracted>

/** The catalogue validated the event's data when it was written: its type tells its shape. */
function isRetraction(event: RecordedEvent): event is RetractionEvent {
  return event.type === 'event.retracted'
}

/** The `event.retracted` events of a batch. */
export function retractionsIn(events: readonly RecordedEvent[]): Retraction[] {
  return events
    .filter(isRetraction)
    .map((e) => ({ eventId: e.data.eventId, recordedAt: e.recordedAt, position: e.position }))
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
    // Each row takes the earliest retraction recorded after it — within a batch as across batches.
    await sql`
      with r as (
        select * from jsonb_to_recordset(${payload}::jsonb) as r("eventId" uuid, "recordedAt" timestamptz, position bigint)
      )
      update ${sql.table(table)} as t
         set retracted_at = (select r."recordedAt" from r
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
