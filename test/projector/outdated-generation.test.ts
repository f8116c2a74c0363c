import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import { priceListProjection } from '../../projections/price-list/index.js'
import { priceListAsOf } from '../../projections/price-list/read.js'
import { timelineProjection } from '../../projections/timeline/index.js'
import { timelinePage } from '../../projections/timeline/read.js'
import { catchUp } from '../../src/projector/catch-up.js'
import { changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { declaredColumns, ensureProjections } from '../../src/projector/generations.js'
import { defineProjection } from '../../src/projector/projection.js'
import { createEventStore } from '../../src/store/event-store.js'
import { createTestDatabase } from '../support/database.js'
import { generateHistory } from '../support/generate.js'

/** The timeline as it was defined before it read the log: a copy of every event. */
const copiedTimeline = defineProjection<{ timeline: object }>({
  name: 'timeline',
  description: 'Every fact, copied',
  tables: { timeline: changePointTable('type text not null') },
  indexes: [],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'timeline',
      events.map((e) => ({ type: e.type, ...pointOf(e, marketTz) })),
    )
  },
})

describe('a live generation made for an earlier definition of its projection', () => {
  it('is replaced at start-up by an empty one, which then catches up', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase()
    try {
      const db = database.handle.db
      const store = createEventStore(db, catalogue, 'UTC')
      const others = projections.filter((p) => p.name !== 'timeline')
      await ensureProjections(db, [...others, copiedTimeline])
      await store.append([...generateHistory(5, 100)])
      await catchUp(db, store, copiedTimeline, 1, 1000)

      await ensureProjections(db, projections)
      const row = await db
        .selectFrom('projections')
        .select(['live_generation'])
        .where('name', '=', 'timeline')
        .executeTakeFirstOrThrow()
      expect(row.live_generation).toBe(2)
      await catchUp(db, store, timelineProjection, row.live_generation, 1000)
      const page = await timelinePage(db, catalogue, { knownAt: new Date('2100-01-01'), limit: 1000 })
      expect(page.length).toBeGreaterThan(50)

      // Nothing else is replaced, and a second start changes nothing.
      await ensureProjections(db, projections)
      const generations = await db.selectFrom('projections').select(['name', 'live_generation']).execute()
      expect(Object.fromEntries(generations.map((g) => [g.name, g.live_generation]))).toEqual({
        ...Object.fromEntries(others.map((p) => [p.name, 1])),
        timeline: 2,
      })
    } finally {
      await database.drop()
    }
  })

  it('is replaced when a table lacks a column its projection now declares', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase()
    try {
      const db = database.handle.db
      const store = createEventStore(db, catalogue, 'UTC')
      await ensureProjections(db, projections)
      await store.append([...generateHistory(6, 300)])
      await catchUp(db, store, priceListProjection, 1, 1000)
      // A generation built before change points knew when each fact was published.
      await sql`alter table rm_price_list_g1.price_plans drop column reported_at cascade`.execute(db)
      await sql`alter table rm_price_list_g1.price_points drop column retraction_reported_at cascade`.execute(
        db,
      )

      await ensureProjections(db, projections)
      const live = async (name: string) =>
        (
          await db
            .selectFrom('projections')
            .select('live_generation')
            .where('name', '=', name)
            .executeTakeFirstOrThrow()
        ).live_generation
      expect(await live('price-list')).toBe(2)
      expect(await live('funding')).toBe(1)
      await catchUp(db, store, priceListProjection, 2, 1000)
      const prices = await priceListAsOf(db, {
        asOf: new Date('2100-01-01'),
        knownAt: new Date('2100-01-01'),
        reportedBy: new Date('2100-01-01'),
      })
      expect(prices.length).toBeGreaterThan(10)
      await ensureProjections(db, projections)
      expect(await live('price-list')).toBe(2)
    } finally {
      await database.drop()
    }
  })

  it('reads the columns of a table body, not its constraints', () => {
    expect(
      declaredColumns(
        '(product text not null, "component" text, amount numeric(10, 2), primary key (product, component))',
      ),
    ).toEqual(['product', 'component', 'amount'])
  })
})
