import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projections } from '../../projections/index.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { keyText } from '../../src/diff/compare.js'
import { jsonEqual } from '../../src/diff/json-equal.js'
import type { DiffScope } from '../../src/diff/model.js'
import type { HistoryChange } from '../../src/history/schemas.js'
import { endOfDate } from '../../src/queries/market-dates.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts } from '../support/batched-log.js'
import { asOfs, eventOf, published, reportedBys, step, universe } from '../support/market-history.js'

/**
 * Property: for any history, cut into any batches and published at any date or none, the history
 * of every subject — folded in order, its standing changes only — gives at any instant each
 * model's as-of answer for the subject (the rows that name one of its events); each standing
 * change's before is the after of the key's change before it; and no change has equal before and
 * after.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Universe = ReturnType<typeof universe>
const comparables = projections.flatMap((p) => p.comparables ?? [])
const instants = [...asOfs, '2099']

function subjectsOf(u: Universe): { subject: string; scope: DiffScope }[] {
  return [
    ...[0, 1, 2].map((i) => ({ subject: u.company(i), scope: { company: u.company(i) } })),
    ...[0, 1, 2].map((i) => ({ subject: u.product(i), scope: { product: u.product(i) } })),
    ...[0, 1].map((i) => ({ subject: u.alliance(i), scope: { alliance: u.alliance(i) } })),
  ]
}

/** The rows of every model at `asOf`, as known now, that name one of the subject's events, by model and key. */
async function asOfAnswer(
  scope: DiffScope,
  ours: ReadonlySet<string>,
  asOf: Date,
  knownAt: Date,
  reportedBy: Date | undefined,
): Promise<Map<string, unknown>> {
  const rows = new Map<string, unknown>()
  await Promise.all(
    comparables.map(async (c) => {
      for (const r of await c.rowsAt(t.database.handle.db, { asOf, knownAt, reportedBy }, scope)) {
        if (r.eventIds.some((id) => ours.has(id.toLowerCase())))
          rows.set(`${c.model} ${keyText(r.key)}`, r.row)
      }
    }),
  )
  return rows
}

/** Changes by model and key, each list in the history's order. */
function byKeyOf(changes: readonly HistoryChange[]): Map<string, HistoryChange[]> {
  const byKey = new Map<string, HistoryChange[]>()
  for (const c of changes) {
    const key = `${c.model} ${keyText(c.key)}`
    byKey.set(key, [...(byKey.get(key) ?? []), c])
  }
  return byKey
}

/** The standing changes folded up to `asOf`: per key, the last one's after, or the first one's before. */
function folded(changes: readonly HistoryChange[], asOf: Date): Map<string, unknown> {
  const rows = new Map<string, unknown>()
  const byKey = byKeyOf(changes)
  for (const [key, steps] of byKey) {
    const last = steps.findLast((c) => new Date(c.effectiveFrom) <= asOf)
    const row = last ? last.after : (steps[0] as HistoryChange).before
    if (row !== null) rows.set(key, row)
  }
  return rows
}

async function checkSubject(
  subject: string,
  scope: DiffScope,
  stored: readonly RecordedEvent[],
  reportedBy: string | undefined,
  head: number,
  at: readonly string[],
) {
  const ours = new Set(stored.filter((e) => e.subject === subject).map((e) => e.id.toLowerCase()))
  const query = `consistentWith=${head}${reportedBy ? `&reportedBy=${encodeURIComponent(reportedBy)}` : ''}`
  const res = await t.inject(`/v1/subjects/${subject}/history?${query}`)
  if (ours.size === 0) {
    expect(res.statusCode, res.body).toBe(404)
    return
  }
  expect(res.statusCode, res.body).toBe(200)
  const { knownAt, changes } = res.json() as { knownAt: string; changes: HistoryChange[] }
  const label = `${subject} ${query}`
  for (const c of changes) {
    expect(jsonEqual(c.before, c.after), `${label}: ${JSON.stringify(c)}`).toBe(false)
    seen.add(c.retracted ? `${c.model} retracted` : c.planned ? `${c.model} planned` : c.model)
  }
  const times = changes.map((c) => c.effectiveFrom)
  expect(times, label).toEqual([...times].sort())
  const standing = changes.filter((c) => c.retracted === null && !c.planned)
  for (const steps of byKeyOf(standing).values()) {
    for (let i = 1; i < steps.length; i++)
      expect(steps[i]?.before, `${label}: ${JSON.stringify(steps[i])}`).toEqual(steps[i - 1]?.after)
  }
  const by = endOfDate('reportedBy', reportedBy, 'UTC')
  for (const date of at) {
    const asOf = endOfDate('asOf', date, 'UTC') as Date
    const expected = await asOfAnswer(scope, ours, asOf, new Date(knownAt), by)
    const actual = folded(standing, asOf)
    expect(Object.fromEntries(actual), `${label} asOf=${date}`).toEqual(Object.fromEntries(expected))
  }
}

let run = 0
/** Which models, retractions and plans the runs met, so that the property is known not to hold vacuously. */
const seen = new Set<string>()

describe('GET /v1/subjects/:subject/history', () => {
  it("folded in order gives each model's as-of answer for the subject, at any instant, for any history", {
    timeout: 120_000,
  }, async () => {
    const started = Date.now()
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 40, size: 'medium' }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.constantFrom(...reportedBys), { nil: undefined, freq: 3 }),
        fc.array(fc.option(fc.constantFrom(...published), { nil: undefined }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.shuffledSubarray(instants, { minLength: 2, maxLength: 4 }),
        async (steps, cuts, reportedBy, publications, at) => {
          const u = universe(++run)
          const stored = await appendInCuts(t.store, steps, cuts, (s, stored, i) => {
            const event = eventOf(s, u, stored)
            const publishedAt = publications[i % publications.length]
            return event && { ...event, source: { publisher: 'P', ...(publishedAt ? { publishedAt } : {}) } }
          })
          const head = stored.at(-1)?.position ?? 0
          for (const { subject, scope } of subjectsOf(u))
            await checkSubject(subject, scope, stored, reportedBy, head, [...at, '2099'])
        },
      ),
      // Each run appends a history and reads every subject's: shrinking a failure would outlast the timeout.
      { numRuns: 12, seed: 20261203, endOnFailure: true },
    )
    console.info(`history property: ${Date.now() - started} ms, seen ${[...seen].sort().join(', ')}`)
    for (const model of [
      'price',
      'alliance',
      'alliance-member',
      'funding-round',
      'valuation',
      'product',
      'relation',
      'metric',
    ])
      expect(seen, model).toContain(model)
    expect(
      [...seen].some((s) => s.endsWith('retracted')),
      'a retracted change',
    ).toBe(true)
    expect(
      [...seen].some((s) => s.endsWith('planned')),
      'a planned change',
    ).toBe(true)
  })
})
