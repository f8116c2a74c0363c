import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyText } from '../../src/diff/compare.js'
import { jsonEqual } from '../../src/diff/json-equal.js'
import { type DiffModel, diffModels, type RowKey } from '../../src/diff/model.js'
import type { Change } from '../../src/diff/schemas.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts } from '../support/batched-log.js'
import { asOfs, eventOf, published, reportedBys, step, universe } from '../support/market-history.js'

/**
 * Property: for any history, cut into any batches and published at any date or none, and any two
 * points A and B (sometimes on the same asOf, sometimes on the same knownAt, sometimes bounded by
 * a reportedBy), applying diff(A→B) to every read model's state at A — as each model's own query
 * answers it — gives its state at B; no change has equal before and after; and a diff on one
 * asOf is all knowledge, one on one knownAt all valid time.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Universe = ReturnType<typeof universe>
type Row = Record<string, unknown>
/** Per model, its rows by key text. */
type State = Map<DiffModel, Map<string, unknown>>

interface Point {
  readonly asOf: string
  readonly knownAt: string | undefined
}

const companies = [0, 1, 2]

function query(point: Point, reportedBy: string | undefined, head: number): string {
  return [
    `asOf=${point.asOf}`,
    ...(point.knownAt ? [`knownAt=${encodeURIComponent(point.knownAt)}`] : []),
    ...(reportedBy ? [`reportedBy=${encodeURIComponent(reportedBy)}`] : []),
    `consistentWith=${head}`,
  ].join('&')
}

async function get(path: string, at: string): Promise<{ status: number; body: Row }> {
  const res = await t.inject(`${path}${path.includes('?') ? '&' : '?'}${at}`)
  expect([200, 404], res.body).toContain(res.statusCode)
  return { status: res.statusCode, body: res.json() }
}

/** Every page of a paged list. */
async function allPages(path: string, field: string, at: string): Promise<Row[]> {
  const rows: Row[] = []
  let next: unknown = null
  for (let page = 0; page < 100; page++) {
    const { body } = await get(`${path}?limit=1000${next ? `&next=${next}` : ''}`, at)
    rows.push(...(body[field] as Row[]))
    next = body.next
    if (!next) break
  }
  return rows
}

/** Every model's rows of this run at a point, read from the models' own queries over HTTP. */
async function stateAt(
  u: Universe,
  point: Point,
  reportedBy: string | undefined,
  head: number,
): Promise<State> {
  const at = query(point, reportedBy, head)
  const ours = (slug: unknown) => String(slug).startsWith(u.prefix)
  const state: State = new Map(diffModels.map((m) => [m, new Map()]))
  const put = (model: DiffModel, key: RowKey, row: unknown) => state.get(model)?.set(keyText(key), row)

  const [prices, alliances, rounds, relations, metrics, profiles] = await Promise.all([
    get('/v1/prices', at).then((r) => r.body.prices as Row[]),
    get('/v1/alliances', at).then((r) => r.body.alliances as Row[]),
    allPages('/v1/funding', 'rounds', at),
    allPages('/v1/relations', 'relations', at),
    get('/v1/metrics', at).then((r) => r.body.metrics as Row[]),
    Promise.all(companies.map((i) => get(`/v1/companies/${u.company(i)}`, at))),
  ])
  for (const p of prices.filter((r) => ours(r.product)))
    put('price', { product: String(p.product), component: String(p.component) }, p)
  for (const { members, ...a } of alliances.filter((r) => ours(r.alliance))) {
    put('alliance', { alliance: String(a.alliance) }, a)
    for (const m of members as Row[])
      put(
        'alliance-member',
        { alliance: String(a.alliance), member: String(m.member) },
        { alliance: a.alliance, ...m },
      )
  }
  for (const r of rounds.filter((r) => ours(r.company)))
    put('funding-round', { company: String(r.company), eventId: String(r.eventId) }, r)
  for (const [i, profile] of profiles.entries()) {
    if (profile.status !== 200) continue
    const company = u.company(companies[i] as number)
    if (profile.body.latestValuation) put('valuation', { company }, profile.body.latestValuation)
    for (const p of profile.body.products as Row[])
      put('product', { product: String(p.product) }, { company, ...p })
  }
  for (const r of relations.filter((r) => ours(r.from)))
    put('relation', { from: String(r.from), to: String(r.to), kind: String(r.kind) }, r)
  for (const m of metrics.filter((r) => ours(r.entity)))
    put(
      'metric',
      {
        entity: String(m.entity),
        metric: String(m.metric),
        forPeriod: (m.forPeriod ?? null) as string | null,
      },
      m,
    )
  return state
}

/** A's state with every change applied, each checked against the row it replaces. */
function applied(from: State, changes: readonly Change[]): State {
  const state: State = new Map([...from].map(([model, rows]) => [model, new Map(rows)]))
  for (const c of changes) {
    const rows = state.get(c.model) as Map<string, unknown>
    const key = keyText(c.key)
    expect(rows.get(key) ?? null, `before of ${c.model} ${key}`).toEqual(c.before)
    if (c.after === null) rows.delete(key)
    else rows.set(key, c.after)
  }
  return state
}

async function checkDiff(u: Universe, a: Point, b: Point, reportedBy: string | undefined, head: number) {
  const [stateA, stateB] = await Promise.all([
    stateAt(u, a, reportedBy, head),
    stateAt(u, b, reportedBy, head),
  ])
  const params = [
    `fromAsOf=${a.asOf}`,
    `toAsOf=${b.asOf}`,
    ...(a.knownAt ? [`fromKnownAt=${encodeURIComponent(a.knownAt)}`] : []),
    ...(b.knownAt ? [`toKnownAt=${encodeURIComponent(b.knownAt)}`] : []),
    ...(reportedBy ? [`reportedBy=${encodeURIComponent(reportedBy)}`] : []),
    `consistentWith=${head}`,
  ].join('&')
  const res = await t.inject(`/v1/diff?${params}`)
  expect(res.statusCode, res.body).toBe(200)
  const changes = (res.json().changes as Change[]).filter((c) =>
    String(Object.values(c.key)[0]).startsWith(u.prefix),
  )
  const label = params
  for (const c of changes) seen.add(`${c.model} ${c.cause}`)
  for (const c of changes) {
    expect(jsonEqual(c.before, c.after), `${label}: ${JSON.stringify(c)}`).toBe(false)
    expect(c.eventIds.length, label).toBeGreaterThan(0)
    if (a.asOf === b.asOf) expect(c.cause, `${label}: ${JSON.stringify(c)}`).toBe('knowledge')
    if (a.knownAt === b.knownAt) expect(c.cause, `${label}: ${JSON.stringify(c)}`).toBe('valid-time')
  }
  const result = applied(stateA, changes)
  for (const model of diffModels) {
    expect(Object.fromEntries(result.get(model) ?? []), `${model} ${label}`).toEqual(
      Object.fromEntries(stateB.get(model) ?? []),
    )
  }
}

let run = 0
/** Which models and causes the runs met, so that the property is known not to hold vacuously. */
const seen = new Set<string>()

describe('GET /v1/diff', () => {
  it('applied to every read model at A gives it at B, for any history and any two points', {
    timeout: 300_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 50, size: 'medium' }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.record({
            fromAsOf: fc.constantFrom(...asOfs),
            toAsOf: fc.constantFrom(...asOfs),
            fromKnownAt: fc.nat(),
            toKnownAt: fc.nat(),
            same: fc.constantFrom('asOf' as const, 'knownAt' as const, undefined, undefined),
            reportedBy: fc.option(fc.constantFrom(...reportedBys), { nil: undefined, freq: 3 }),
          }),
          { minLength: 1, maxLength: 3 },
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
          const knownAts = [...new Set(stored.map((e) => e.recordedAt)), undefined]
          for (const p of pairs) {
            const a = { asOf: p.fromAsOf, knownAt: knownAts[p.fromKnownAt % knownAts.length] }
            const b = {
              asOf: p.same === 'asOf' ? a.asOf : p.toAsOf,
              knownAt: p.same === 'knownAt' ? a.knownAt : knownAts[p.toKnownAt % knownAts.length],
            }
            await checkDiff(u, a, b, p.reportedBy, head)
          }
        },
      ),
      // Each run appends a history and reads every model: shrinking a failure would outlast the timeout.
      { numRuns: 25, seed: 20261203, endOnFailure: true },
    )
    for (const model of diffModels) {
      expect(seen, model).toContain(`${model} valid-time`)
      expect(seen, model).toContain(`${model} knowledge`)
    }
  })
})
