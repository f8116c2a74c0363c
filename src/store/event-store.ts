import type { Kysely } from 'kysely'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { EventInput } from '../catalogue/envelope.js'
import type { EventSource, RecordedEvent } from '../catalogue/event-type.js'
import type { Database } from '../db/schema.js'
import type { Precision } from '../time/market-date.js'
import { type BatchRow, toBatch } from './batch.js'
import { groupCommit } from './group-commit.js'
import type { AppendedRow } from './sql/append.js'
import {
  type EffectiveFilter,
  type FeedHorizon,
  selectEffectiveNotices,
  selectFeedHorizon,
  selectRecordedAtOrBefore,
} from './sql/feed.js'
import { headPosition } from './sql/head.js'
import { type EventRow, type LogFilter, selectAtPositions, selectById, selectLog } from './sql/read-log.js'

export { MAX_BATCH } from './batch.js'
export type { EffectiveFilter, FeedHorizon } from './sql/feed.js'
export type { LogFilter } from './sql/read-log.js'

export interface AppendResult {
  /** Every event of the batch, in batch order, as stored. */
  readonly events: readonly RecordedEvent[]
  /** How many were new; the rest were identical re-posts of stored events. */
  readonly appended: number
}

export interface EventStore {
  /**
   * Appends a batch atomically: all stored or none. Idempotent by event id. Batches appended
   * while another commits are committed together, each still all or none (group-commit.ts).
   */
  append(events: readonly EventInput[]): Promise<AppendResult>
  /**
   * The log in position order after `position`. Never skips an event that commits late:
   * appends are serialised, so position order is commit order (see sql/append-function.ts).
   */
  readLogAfter(position: number, limit: number, within?: Kysely<Database>): Promise<RecordedEvent[]>
  query(filter: LogFilter, within?: Kysely<Database>): Promise<RecordedEvent[]>
  stream(filter: Omit<LogFilter, 'limit'>, pageSize?: number): AsyncGenerator<RecordedEvent>
  findById(id: string): Promise<RecordedEvent | undefined>
  /** The events at these positions, in position order. */
  findByPositions(positions: readonly number[]): Promise<RecordedEvent[]>
  headPosition(): Promise<number>
  /** How far a live reader may read, in position and in recording time (sql/feed.ts). */
  feedHorizon(): Promise<FeedHorizon>
  /** The recordedAt of the last event at or below `position`; null for none. */
  recordedAtOrBefore(position: number): Promise<Date | null>
  /** Facts recorded before they took effect, in the order their effectiveFrom passes. */
  effectiveNotices(filter: EffectiveFilter): Promise<RecordedEvent[]>
  /** The market time zone the log's dates are read in. */
  readonly marketTz: string
}

/** The log's API; its SQL is in `sql/`, one module per operation. */
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

  async function query(filter: LogFilter, within: Kysely<Database> = db): Promise<RecordedEvent[]> {
    return (await selectLog(within, filter)).map(toEvent)
  }

  const commit = groupCommit(db)

  return {
    marketTz,
    async append(inputs) {
      const batch = toBatch(inputs, catalogue, marketTz)
      const rows = await commit(batch)
      return {
        events: rows.map((row) => appendedEvent(batch, row)),
        appended: rows.filter((r) => r.appended).length,
      }
    },
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
      const row = await selectById(db, id)
      return row ? toEvent(row) : undefined
    },
    async findByPositions(positions) {
      return (await selectAtPositions(db, positions)).map(toEvent)
    },
    headPosition: () => headPosition(db),
    feedHorizon: () => selectFeedHorizon(db),
    recordedAtOrBefore: (position) => selectRecordedAtOrBefore(db, position),
    async effectiveNotices(filter) {
      return (await selectEffectiveNotices(db, filter)).map(toEvent)
    },
  }
}

/**
 * The answer carries what only the database knows; the rest is the batch itself (for a
 * re-posted event the stored content equals it, or the append would have been refused).
 */
function appendedEvent(batch: readonly BatchRow[], row: AppendedRow): RecordedEvent {
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
}
