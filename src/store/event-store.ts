import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { EventInput } from '../catalogue/envelope.js'
import type { EventSource, RecordedEvent } from '../catalogue/event-type.js'
import type { Database } from '../db/schema.js'
import { ConcurrencyError, IdConflict, InvalidDate, InvalidInput } from '../errors.js'
import { type Precision, parseMarketDate } from '../time/market-date.js'

export const MAX_BATCH = 1000

export interface AppendResult {
  /** Every event of the batch, in batch order, as stored. */
  readonly events: readonly RecordedEvent[]
  /** How many were new; the rest were identical re-posts of stored events. */
  readonly appended: number
}

export interface LogFilter {
  /** Only events after this position. */
  readonly after?: number
  /** Only events at or before this position. */
  readonly upTo?: number
  readonly limit: number
  /** Exact type names (patterns are resolved by the caller through the catalogue). */
  readonly types?: readonly string[]
  readonly subject?: string
  /** Valid-time range, inclusive: events whose effectiveFrom lies within it. */
  readonly effectiveFrom?: Date
  readonly effectiveTo?: Date
}

export interface EventStore {
  /** Appends a batch atomically: all stored or none. Idempotent by event id. */
  append(events: readonly EventInput[]): Promise<AppendResult>
  /**
   * The log in position order after `position`. Never skips an event that commits late:
   * appends are serialised, so position order is commit order (see the event-log migration).
   */
  readLogAfter(position: number, limit: number, within?: Kysely<Database>): Promise<RecordedEvent[]>
  query(filter: LogFilter, within?: Kysely<Database>): Promise<RecordedEvent[]>
  stream(filter: Omit<LogFilter, 'limit'>, pageSize?: number): AsyncGenerator<RecordedEvent>
  findById(id: string): Promise<RecordedEvent | undefined>
  /** The events at these positions, in position order. */
  findByPositions(positions: readonly number[]): Promise<RecordedEvent[]>
  headPosition(): Promise<number>
}

interface AppendedRow {
  idx: number
  appended: boolean
  position: number
  version: number
  effective_from: Date
  recorded_at: Date
}

interface EventRow {
  position: number
  id: string
  type: string
  schema_version: number
  subject: string
  version: number
  occurred_at: string
  precision: string
  effective_from: Date
  recorded_at: Date
  data: unknown
  source: unknown
}

export function createEventStore(db: Kysely<Database>, catalogue: Catalogue, marketTz: string): EventStore {
  const toEvent = (row: EventRow): RecordedEvent => ({
    id: row.id,
    type: row.type,
    subject: row.subject,
    occurredAt: row.occurred_at,
    precision: row.precision as Precision,
    effectiveFrom: row.effective_from.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    position: row.position,
    version: row.version,
    data: catalogue.upcast(row.type, row.schema_version, row.data),
    ...(row.source ? { source: row.source as EventSource } : {}),
  })

  const selectEvents = (executor: Kysely<Database> = db) => executor.selectFrom('events').selectAll()

  async function append(inputs: readonly EventInput[]): Promise<AppendResult> {
    const batch = inputs.map((input, idx) => toBatchRow(input, idx, catalogue, marketTz))
    rejectRepeatedIds(batch.map((row) => row.id))
    try {
      const { rows } = await sql<AppendedRow>`
        select * from mt_append_events(${JSON.stringify(batch)}::jsonb)
      `.execute(db)
      // The answer carries what only the database knows; the rest is the batch itself (for a
      // re-posted event the stored content equals it, or the append would have been refused).
      const events = rows.map((row): RecordedEvent => {
        const input = batch[row.idx]
        if (!input) throw new Error(`mt_append_events answered for index ${row.idx} of ${batch.length}`)
        return {
          id: input.id,
          type: input.type,
          subject: input.subject,
          occurredAt: input.occurred_at,
          precision: input.precision,
          effectiveFrom: row.effective_from.toISOString(),
          recordedAt: row.recorded_at.toISOString(),
          position: row.position,
          version: row.version,
          data: input.data,
          ...(input.source ? { source: input.source } : {}),
        }
      })
      return { events, appended: rows.filter((row) => row.appended).length }
    } catch (error) {
      throw translateAppendError(error)
    }
  }

  async function query(filter: LogFilter, within: Kysely<Database> = db): Promise<RecordedEvent[]> {
    let q = selectEvents(within)
      .where('position', '>', filter.after ?? 0)
      .orderBy('position')
      .limit(filter.limit)
    if (filter.types) q = q.where('type', 'in', filter.types.length ? [...filter.types] : [''])
    if (filter.upTo !== undefined) q = q.where('position', '<=', filter.upTo)
    if (filter.subject) q = q.where('subject', '=', filter.subject)
    if (filter.effectiveFrom) q = q.where('effective_from', '>=', filter.effectiveFrom)
    if (filter.effectiveTo) q = q.where('effective_from', '<=', filter.effectiveTo)
    const rows = await q.execute()
    return rows.map((row) => toEvent(row as EventRow))
  }

  return {
    append,
    query,
    readLogAfter: (position, limit, within) => query({ after: position, limit }, within),
    async *stream(filter, pageSize = 1000) {
      let after = filter.after ?? 0
      for (;;) {
        const page = await query({ ...filter, after, limit: pageSize })
        yield* page
        const last = page.at(-1)
        if (!last || page.length < pageSize) return
        after = last.position
      }
    },
    async findById(id) {
      const row = await selectEvents().where('id', '=', id).executeTakeFirst()
      return row ? toEvent(row as EventRow) : undefined
    },
    async findByPositions(positions) {
      if (positions.length === 0) return []
      const rows = await selectEvents()
        .where('position', '=', sql<number>`any(${[...positions]}::bigint[])`)
        .orderBy('position')
        .execute()
      return rows.map((row) => toEvent(row as EventRow))
    },
    async headPosition() {
      const row = await db
        .selectFrom('events')
        .select('position')
        .orderBy('position', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row?.position ?? 0
    },
  }
}

function toBatchRow(input: EventInput, idx: number, catalogue: Catalogue, marketTz: string) {
  const eventType = catalogue.get(input.type)
  if (!eventType) {
    throw new InvalidInput(`unknown event type '${input.type}'`, [
      { path: `/events/${idx}/type`, message: `unknown event type '${input.type}'` },
    ])
  }
  const occurred = parseMarketDate(input.occurredAt, marketTz)
  if (!occurred)
    throw new InvalidDate(`/events/${idx}/occurredAt`, input.occurredAt, 'not a valid market date')
  return {
    idx,
    id: (input.id ?? randomUUID()).toLowerCase(),
    type: input.type,
    schema_version: eventType.schemaVersion,
    subject: input.subject,
    occurred_at: input.occurredAt,
    precision: occurred.precision,
    effective_from: occurred.start.toUTC().toISO(),
    data: input.data,
    source: input.source ?? null,
    expected_version: input.expectedVersion ?? null,
  }
}

function rejectRepeatedIds(ids: readonly string[]): void {
  if (ids.length > MAX_BATCH) {
    throw new InvalidInput(`a batch holds at most ${MAX_BATCH} events`, [
      { path: '/events', message: `at most ${MAX_BATCH} events` },
    ])
  }
  const firstIndex = new Map<string, number>()
  ids.forEach((id, idx) => {
    const first = firstIndex.get(id)
    if (first !== undefined) {
      throw new InvalidInput(`event id ${id} appears twice in the batch`, [
        { path: `/events/${idx}/id`, message: `repeats the id of /events/${first}` },
      ])
    }
    firstIndex.set(id, idx)
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
