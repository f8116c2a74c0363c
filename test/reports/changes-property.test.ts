import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffModels } from '../../src/diff/model.js'
import type { Change } from '../../src/diff/schemas.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts } from '../support/batched-log.js'
import { asOfs, eventOf, published, reportedBys, step, universe } from '../support/market-history.js'

/**
 * Property: for any history — back-dated facts, renames, retractions (of retractions too), plans,
 * alliances, rounds, relations ended and established again — cut into any batches and published
 * at any date or none, and any two points A and B (sometimes on one asOf or one knownAt, sometimes
 * bounded by a reportedBy, of the whole market or of one company, product or alliance), the
 * changes report (a replay of the log) gives exactly the changes GET /v1/diff (the read models)
 * gives: the same rows, before and after, causes, event ids and order.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Universe = ReturnType<typeof universe>
type Scope = { company: number } | { product: number } | { alliance: number } | undefined

const scope = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.record({ company: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ product: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ alliance: fc.nat(1) }) },
)

function scopeQuery(u: Universe, s: Scope): string[] {
  if (!s) return []
  if ('company' in s) return [`company=${u.company(s.company)}`]
  if ('product' in s) return [`product=${u.product(s.product)}`]
  return [`alliance=${u.alliance(s.alliance)}`]
}

/** Which models, causes and retractions the runs met, so that the property is known not to hold vacuously. */
const seen = new Set<string>()
let run = 0

async function checkAgreement(query: string, head: number, retractionIds: ReadonlySet<string>) {
  const [report, read] = await Promise.all([
    t.inject(`/v1/reports/changes?${query}`),
    t.inject(`/v1/diff?${query}&consistentWith=${head}`),
  ])
  expect(report.statusCode, report.body).toBe(200)
  expect(read.statusCode, read.body).toBe(200)
  const expected = read.json().changes as Change[]
  expect(report.json().changes, query).toEqual(expected)
  for (const c of expected) {
    seen.add(`${c.model} ${c.cause}`)
    if (c.eventIds.some((id) => retractionIds.has(id))) seen.add('retraction among the events')
  }
}

describe('GET /v1/reports/changes', () => {
  it('gives the changes GET /v1/diff gives, for any history, any two points and any scope', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 40, size: 'medium' }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.record({
            fromAsOf: fc.constantFrom(...asOfs),
            toAsOf: fc.constantFrom(...asOfs),
            fromKnownAt: fc.nat(),
            toKnownAt: fc.nat(),
            same: fc.constantFrom('asOf' as const, 'knownAt' as const, undefined, undefined),
            reportedBy: fc.option(fc.constantFrom(...reportedBys), { nil: undefined, freq: 3 }),
            scope,
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.array(fc.option(fc.constantFrom(...published), { nil: undefined }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (steps, cuts, pairs, publications) => {
          const u = universe(++run)
          const stored = await appendInCuts(t.store, steps, cuts, (s, stored, i) => {
            const event = eventOf(s, u, stored)
            const publishedAt = publications[i % publications.length]
            return event && { ...event, source: { publisher: 'P', ...(publishedAt ? { publishedAt } : {}) } }
          })
          const head = stored.at(-1)?.position ?? 0
          const retractionIds = new Set(stored.filter((e) => e.type === 'event.retracted').map((e) => e.id))
          const knownAts = [...new Set(stored.map((e) => e.recordedAt)), undefined]
          for (const p of pairs) {
            const fromKnownAt = knownAts[p.fromKnownAt % knownAts.length]
            const toKnownAt = p.same === 'knownAt' ? fromKnownAt : knownAts[p.toKnownAt % knownAts.length]
            const query = [
              `fromAsOf=${p.fromAsOf}`,
              `toAsOf=${p.same === 'asOf' ? p.fromAsOf : p.toAsOf}`,
              ...(fromKnownAt ? [`fromKnownAt=${encodeURIComponent(fromKnownAt)}`] : []),
              ...(toKnownAt ? [`toKnownAt=${encodeURIComponent(toKnownAt)}`] : []),
              ...(p.reportedBy ? [`reportedBy=${encodeURIComponent(p.reportedBy)}`] : []),
              ...scopeQuery(u, p.scope),
            ].join('&')
            await checkAgreement(query, head, retractionIds)
          }
        },
      ),
      // Each run appends a history and replays the log: shrinking a failure would outlast the timeout.
      { numRuns: 20, seed: 20261203, endOnFailure: true },
    )
    for (const cause of ['valid-time', 'knowledge']) {
      for (const model of diffModels) expect(seen, `${model} ${cause}`).toContain(`${model} ${cause}`)
    }
    expect(seen).toContain('retraction among the events')
  })
})
