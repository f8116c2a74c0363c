import { type Kysely, sql } from 'kysely'
import type { RecordedEvent } from '../catalogue/event-type.js'
import { channels } from '../db/channels.js'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import { headPosition } from '../store/sql/head.js'
import { fullBatchEnd } from '../store/sql/positions.js'
import { applyRetractions, retractionsIn } from './change-points.js'
import { changePointTables, generationSchema, type Projection } from './projection.js'

export interface BatchResult {
  /** Events applied by this call; 0 when the generation was already at the head. */
  readonly applied: number
  /** True when the batch was full: more of the log may follow. */
  readonly more: boolean
  /** False when another process holds this generation's batch right now. */
  readonly acquired: boolean
  readonly position: number
}

export interface BatchOptions {
  /**
   * Reads the checkpoint without locking its row. Only the negative control in
   * test/projector/exactly-once.test.ts sets it, to show that two runners then apply the same batch twice.
   */
  readonly unlockedCheckpointForTests?: boolean
}

/**
 * Applies the next batch of the log to one generation of a projection, and moves its
 * checkpoint, in one transaction: a crash anywhere leaves tables and checkpoint together, so
 * the read model always equals a replay up to its checkpoint. The checkpoint row is locked
 * with SKIP LOCKED, so any number of workers may try and exactly one applies each batch.
 */
export async function applyNextBatch(
  db: Kysely<Database>,
  store: EventStore,
  projection: Projection,
  generation: number,
  batchSize: number,
  options: BatchOptions = {},
): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    const checkpoint = await trx
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', projection.name)
      .where('generation', '=', generation)
      .$if(!options.unlockedCheckpointForTests, (q) => q.forUpdate().skipLocked())
      .executeTakeFirst()
    if (!checkpoint) return { applied: 0, more: false, acquired: false, position: 0 }

    const { events, upTo, more } = await readBatch(trx, store, projection, checkpoint.position, batchSize)
    if (upTo === checkpoint.position) return { applied: 0, more: false, acquired: true, position: upTo }

    // The generation's tables come first on the search path: handlers name their tables unqualified.
    let applied = events.length
    if (events.length > 0 || projection.applyFromLog) {
      const searchPath = `${generationSchema(projection.name, generation)}, public`
      await sql`select set_config('search_path', ${searchPath}, true)`.execute(trx)
      const tables = trx as unknown as Kysely<unknown>
      const context = { marketTz: store.marketTz }
      if (projection.applyFromLog) {
        applied += await projection.applyFromLog(tables, { after: checkpoint.position, upTo }, context)
      } else {
        await projection.apply(tables, events, context)
      }
      await applyRetractions(trx, changePointTables(projection), retractionsIn(events, store.marketTz))
      await sql`select set_config('search_path', 'public', true)`.execute(trx)
    }
    await trx
      .updateTable('projection_checkpoints')
      .set({ position: upTo, updated_at: new Date() })
      .where('name', '=', projection.name)
      .where('generation', '=', generation)
      .execute()
    // Tells API processes, at commit, that cached answers may be out of date.
    await sql`select pg_notify(${channels.readModels}, ${projection.name})`.execute(trx)
    return { applied, more, acquired: true, position: upTo }
  })
}

/**
 * The next `batchSize` positions of the log after `after`, keeping only the projection's event
 * types. `upTo` is the last position covered, so the checkpoint moves past skipped events too.
 * A projection with `applyFromLog` must declare its event types.
 */
async function readBatch(
  trx: Kysely<Database>,
  store: EventStore,
  projection: Projection,
  after: number,
  batchSize: number,
): Promise<{ events: RecordedEvent[]; upTo: number; more: boolean }> {
  if (!projection.eventTypes) {
    const events = await store.readLogAfter(after, batchSize, trx)
    return { events, upTo: events.at(-1)?.position ?? after, more: events.length === batchSize }
  }
  const full = await fullBatchEnd(trx, after, batchSize)
  const upTo = full ?? (await headPosition(trx))
  if (upTo <= after) return { events: [], upTo: after, more: false }
  // A projection that applies the batch from the log in SQL needs only its retractions here.
  const types = projection.applyFromLog ? ['event.retracted'] : [...projection.eventTypes, 'event.retracted']
  const events = await store.query({ after, upTo, types, limit: batchSize }, trx)
  return { events, upTo, more: full !== undefined }
}

/** The largest batch a catch-up grows to (in log positions). */
export const maxCatchUpBatch = 20_000

/**
 * Applies batches until the generation reaches the head of the log (or another process holds it).
 * The first batch is `batchSize`; while batches come full, each is twice the last, up to
 * `maxCatchUpBatch`: a generation far behind commits (and flushes) a few large batches, while one
 * near the head keeps small ones, so a new event is not held up behind a large batch.
 */
export async function catchUp(
  db: Kysely<Database>,
  store: EventStore,
  projection: Projection,
  generation: number,
  batchSize: number,
  onBatch?: (result: BatchResult) => void,
): Promise<number> {
  let total = 0
  let size = batchSize
  for (;;) {
    const result = await applyNextBatch(db, store, projection, generation, size)
    onBatch?.(result)
    total += result.applied
    if (!result.acquired || !result.more) return total
    size = Math.max(batchSize, Math.min(size * 2, maxCatchUpBatch))
  }
}
