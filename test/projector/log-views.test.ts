import { describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import { timelineProjection } from '../../projections/timeline/index.js'
import { timelinePage } from '../../projections/timeline/read.js'
import { catchUp } from '../../src/projector/catch-up.js'
import { ensureProjections } from '../../src/projector/generations.js'
import { createEventStore } from '../../src/store/event-store.js'
import { createTestDatabase } from '../support/database.js'
import { generateHistory } from '../support/generate.js'

/**
 * The timeline is read from the log itself through a view, not copied: like any read model, it
 * shows the log only up to its checkpoint, so an answer never runs ahead of the retractions that
 * the read model has applied.
 */
describe('a read model that shows the log through a view', () => {
  it('shows the events up to its checkpoint and none after', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase()
    try {
      const db = database.handle.db
      const store = createEventStore(db, catalogue, 'UTC')
      await ensureProjections(db, projections)
      const page = () => timelinePage(db, catalogue, { knownAt: new Date('2100-01-01'), limit: 1000 })

      const history = [...generateHistory(3, 200)]
      await store.append(history.slice(0, 120))
      expect(await page()).toEqual([])
      await catchUp(db, store, timelineProjection, 1, 50)
      const first = await page()
      expect(first.length).toBeGreaterThan(0)
      expect(Math.max(...first.map((e) => e.position))).toBe(await store.headPosition())

      const head = await store.headPosition()
      await store.append(history.slice(120))
      expect(await page()).toEqual(first)
      await catchUp(db, store, timelineProjection, 1, 50)
      expect(Math.max(...(await page()).map((e) => e.position))).toBeGreaterThan(head)
    } finally {
      await database.drop()
    }
  })
})
