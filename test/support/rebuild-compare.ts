import { type Kysely, sql } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { catchUp } from '../../src/projector/catch-up.js'
import { createGeneration, dropGeneration } from '../../src/projector/generations.js'
import { generationSchema, type Projection } from '../../src/projector/projection.js'
import type { EventStore } from '../../src/store/event-store.js'

/**
 * Builds `projection` from scratch in a scratch generation and counts the rows that differ
 * from the live generation, table by table (EXCEPT ALL both ways, so duplicates count).
 */
export async function differencesFromRebuild(
  db: Kysely<Database>,
  store: EventStore,
  projection: Projection,
): Promise<Record<string, number>> {
  const scratch = 900 + Math.floor(Math.random() * 99)
  const live = await db
    .selectFrom('projections')
    .select('live_generation')
    .where('name', '=', projection.name)
    .executeTakeFirstOrThrow()
  await db.transaction().execute((trx) => createGeneration(trx, projection, scratch))
  try {
    await catchUp(db, store, projection, scratch, 5000)
    const result: Record<string, number> = {}
    for (const table of Object.keys(projection.tables)) {
      const a = sql.id(generationSchema(projection.name, live.live_generation), table)
      const b = sql.id(generationSchema(projection.name, scratch), table)
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from (
          (select * from ${a} except all select * from ${b})
          union all
          (select * from ${b} except all select * from ${a})
        ) d
      `.execute(db)
      result[table] = rows[0]?.n ?? -1
    }
    return result
  } finally {
    await dropGeneration(db, projection, scratch)
  }
}
