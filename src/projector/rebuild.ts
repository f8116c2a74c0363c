import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { channels } from '../db/channels.js'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import { catchUp } from './catch-up.js'
import { createGeneration, dropGeneration, pointViewsAt } from './generations.js'
import { type Projection, readSchema, relationsOf } from './projection.js'

/**
 * Rebuilds a projection from position 0 without downtime: a new generation is filled beside
 * the live one (queries keep reading the live one), and once it has caught up with the live
 * generation the read views are switched to it in one transaction and the old one is dropped.
 * A rebuild interrupted by a crash continues its generation from its checkpoint when retried.
 */
export async function rebuildProjection(
  db: Kysely<Database>,
  store: EventStore,
  projection: Projection,
  batchSize = 5000,
): Promise<{ generation: number; replaced: number }> {
  const generation = await claimBuildingGeneration(db, projection)
  for (;;) {
    await catchUp(db, store, projection, generation, batchSize)
    const replaced = await swapIfCaughtUp(db, projection, generation).catch((error: { code?: string }) => {
      if (error.code === LOCK_NOT_AVAILABLE) return 'busy' as const
      throw error
    })
    if (replaced === 'busy') await sleep(20 + Math.random() * 80)
    else if (replaced !== 'behind') {
      await dropGeneration(db, projection, replaced)
      return { generation, replaced }
    }
  }
}

const LOCK_NOT_AVAILABLE = '55P03'

async function claimBuildingGeneration(db: Kysely<Database>, projection: Projection): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('projections')
      .select(['building_generation'])
      .where('name', '=', projection.name)
      .forUpdate()
      .executeTakeFirstOrThrow()
    if (row.building_generation !== null) return row.building_generation
    const { rows } = await sql<{ last: number }>`
      select coalesce(max(generation), 0)::int as last from projection_checkpoints where name = ${projection.name}
    `.execute(trx)
    const generation = (rows[0]?.last ?? 0) + 1
    await createGeneration(trx, projection, generation)
    await trx
      .updateTable('projections')
      .set({ building_generation: generation })
      .where('name', '=', projection.name)
      .execute()
    return generation
  })
}

/**
 * Switches the views when the new generation is at least as far as the live one; returns the
 * replaced generation. It first takes every view's lock at once, giving up after 250 ms — less
 * than PostgreSQL's deadlock_timeout — so a query holding one view while waiting for another
 * is never the one that fails: the swap backs off and tries again.
 */
async function swapIfCaughtUp(
  db: Kysely<Database>,
  projection: Projection,
  generation: number,
): Promise<number | 'behind'> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('projections')
      .select(['live_generation'])
      .where('name', '=', projection.name)
      .forUpdate()
      .executeTakeFirstOrThrow()
    const positions = await trx
      .selectFrom('projection_checkpoints')
      .select(['generation', 'position'])
      .where('name', '=', projection.name)
      .where('generation', 'in', [row.live_generation, generation])
      .execute()
    const live = positions.find((p) => p.generation === row.live_generation)?.position ?? 0
    const built = positions.find((p) => p.generation === generation)?.position ?? 0
    if (built < live) return 'behind'
    await sql`set local lock_timeout = '250ms'`.execute(trx)
    const views = relationsOf(projection).map((table) => sql.id(readSchema(projection.name), table))
    await sql`lock table ${sql.join(views)} in access exclusive mode`.execute(trx)
    await pointViewsAt(trx, projection, generation)
    await sql`select pg_notify(${channels.readModels}, ${projection.name})`.execute(trx)
    await trx
      .updateTable('projections')
      .set({ live_generation: generation, building_generation: null, rebuild_job_id: null })
      .where('name', '=', projection.name)
      .execute()
    return row.live_generation
  })
}
