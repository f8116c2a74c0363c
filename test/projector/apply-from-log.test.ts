import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import { catchUp } from '../../src/projector/catch-up.js'
import { createGeneration, ensureProjections } from '../../src/projector/generations.js'
import { generationSchema, type Projection } from '../../src/projector/projection.js'
import { createEventStore } from '../../src/store/event-store.js'
import { createTestDatabase } from '../support/database.js'
import { batches, generateHistory } from '../support/generate.js'

/**
 * A projection that applies its batches from the log in SQL (`applyFromLog`) must leave its
 * tables as `apply` leaves them with the same events: both are built here from one log, with
 * retractions and back-dated facts, and compared row by row (duplicates count).
 */
describe('applying a batch from the log in SQL', () => {
  const fromLog = projections.filter((p) => p.applyFromLog)

  it('is declared by the price list', () => {
    expect(fromLog.map((p) => p.name)).toContain('price-list')
  })

  it('writes the rows that apply writes with the same events', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase()
    try {
      const db = database.handle.db
      // Sources with publication dates of every precision, read in a zone that is not UTC.
      const store = createEventStore(db, catalogue, 'Asia/Shanghai')
      await ensureProjections(db, projections)
      for (const batch of batches(generateHistory(23, 4000, { sources: true }), 500))
        await store.append(batch)
      for (const projection of fromLog) {
        const { applyFromLog: _, ...givenEvents } = projection
        const variants: [number, Projection][] = [
          [801, projection],
          [802, givenEvents],
        ]
        for (const [generation, variant] of variants) {
          await db.transaction().execute((trx) => createGeneration(trx, variant, generation))
          await catchUp(db, store, variant, generation, 700)
        }
        for (const table of Object.keys(projection.tables)) {
          const a = sql.id(generationSchema(projection.name, 801), table)
          const b = sql.id(generationSchema(projection.name, 802), table)
          const { rows } = await sql<{ n: number; rows: number }>`
            select (select count(*)::int from (
                     (select * from ${a} except all select * from ${b})
                     union all
                     (select * from ${b} except all select * from ${a})) d) as n,
                   (select count(*)::int from ${a}) as rows
          `.execute(db)
          expect(rows[0]?.rows, table).toBeGreaterThan(0)
          expect(rows[0]?.n, `${projection.name}.${table}`).toBe(0)
        }
        // The rows were reported at the end of their publication dates, not only when recorded.
        const { rows: reported } = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.id(generationSchema(projection.name, 801), 'price_points')}
           where reported_at < recorded_at
        `.execute(db)
        expect(reported[0]?.n).toBeGreaterThan(100)
      }
    } finally {
      await database.drop()
    }
  })
})
