import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Knowledge, knownBy } from '../../src/projector/change-points.js'
import { isKnownBy, type KnownTimes, knownTimes } from '../../src/projector/known-times.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'

/**
 * `isKnownBy` is `knownBy` in JavaScript: reads that serve many knowledges at once keep, for each,
 * the rows the SQL would have kept. Property: for any change points (microseconds apart, so the
 * times meet the knowledge's millisecond bounds and pass them by less than a millisecond) and any
 * knowledge with or without `reportedBy`, both keep the same rows.
 */
let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
  await sql`
    create table known_times_probe (
      n int not null, recorded_at timestamptz not null, reported_at timestamptz not null,
      retracted_at timestamptz, retraction_reported_at timestamptz)
  `.execute(database.handle.db)
})
afterAll(() => database.drop())

const base = Date.UTC(2026, 0, 1)
/** An instant within a few milliseconds of the base, to the microsecond, as text PostgreSQL reads exactly. */
const instant = fc.integer({ min: 0, max: 6000 }).map((us) => {
  const ms = Math.floor(us / 1000)
  const micros = String(us % 1000).padStart(3, '0')
  return new Date(base + ms).toISOString().replace('Z', `${micros}Z`)
})
const row = fc.record({
  recorded: instant,
  reported: instant,
  retracted: fc.option(instant),
  retractionReported: fc.option(instant),
})
const knowledgeAt = fc.record({
  knownAt: fc.integer({ min: 0, max: 6 }),
  reportedBy: fc.option(fc.integer({ min: 0, max: 6 })),
})

describe('isKnownBy', () => {
  it('keeps the rows knownBy keeps, for any change points and any knowledge', {
    timeout: 120_000,
  }, async () => {
    const db = database.handle.db
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), knowledgeAt, async (rows, k) => {
        const knowledge: Knowledge = {
          knownAt: new Date(base + k.knownAt),
          reportedBy: k.reportedBy === null ? undefined : new Date(base + k.reportedBy),
        }
        await sql`truncate known_times_probe`.execute(db)
        for (const [n, r] of rows.entries())
          await sql`
            insert into known_times_probe values (${n}, ${r.recorded}::timestamptz, ${r.reported}::timestamptz,
              ${r.retracted}::timestamptz, ${r.retractionReported}::timestamptz)
          `.execute(db)
        const kept = await sql<{ n: number }>`
          select p.n from known_times_probe p where ${knownBy('p', knowledge)} order by p.n
        `.execute(db)
        const times = await sql<KnownTimes & { n: number }>`
          select p.n, ${knownTimes('p')} from known_times_probe p order by p.n
        `.execute(db)
        const keptHere = times.rows.filter((r) => isKnownBy(r, knowledge)).map((r) => r.n)
        expect(keptHere).toEqual(kept.rows.map((r) => r.n))
      }),
      { numRuns: 150 },
    )
  })
})
