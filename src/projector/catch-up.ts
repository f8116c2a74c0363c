import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import { generationSchema, type Projection } from './projection.js'

export interface BatchResult {
  /** Events applied by this call; 0 when the generation was already at the head. */
  readonly applied: number
  /** False when another process holds this generation's batch right now. */
  readonly acquired: boolean
  readonly position: number
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
): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    const checkpoint = await trx
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', projection.name)
      .where('generation', '=', generation)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst()
    if (!checkpoint) return { applied: 0, acquired: false, position: 0 }

    const events = await store.readLogAfter(checkpoint.position, batchSize, trx)
    const last = events.at(-1)
    if (!last) return { applied: 0, acquired: true, position: checkpoint.position }

    // The generation's tables come first on the search path: handlers name their tables unqualified.
    await sql`select set_config('search_path', ${`${generationSchema(projection.name, generation)}, public`}, true)`.execute(
      trx,
    )
    await projection.apply(trx as unknown as Kysely<unknown>, events)
    await sql`select set_config('search_path', 'public', true)`.execute(trx)
    await trx
      .updateTable('projection_checkpoints')
      .set({ position: last.position, updated_at: new Date() })
      .where('name', '=', projection.name)
      .where('generation', '=', generation)
      .execute()
    return { applied: events.length, acquired: true, position: last.position }
  })
}

/** Applies batches until the generation reaches the head of the log (or another process holds it). */
export async function catchUp(
  db: Kysely<Database>,
  store: EventStore,
  projection: Projection,
  generation: number,
  batchSize: number,
  onBatch?: (result: BatchResult) => void,
): Promise<number> {
  let total = 0
  for (;;) {
    const result = await applyNextBatch(db, store, projection, generation, batchSize)
    onBatch?.(result)
    total += result.applied
    if (!result.acquired || result.applied < batchSize) return total
  }
}
