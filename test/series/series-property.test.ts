import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromUnits, toUnits } from '../../src/catalogue/decimal.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts } from '../support/batched-log.js'

/**
 * Property: for any history of prices, alliances, funding rounds and figures — back-dated, on
 * period boundaries of the market time zone, retracted, published at dates of any precision — and
 * any from, to, interval, knownAt and reportedBy, every point of a series is what the as-of query
 * answers over HTTP at `asOf=<at>`, as known at the same knownAt and reportedBy.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true, env: { MARKET_TZ: 'Asia/Shanghai' } })
})
afterAll(() => t.close())

// Boundaries in Shanghai (UTC+8): 2024-03-31T16:30Z is already April there.
const dates = [
  '2023-12',
  '2024-01-31',
  '2024-02',
  '2024-03-31T16:30:00Z',
  '2024-04',
  '2024-06-30',
  '2024-09-15',
  '2025-01',
]
const published = ['2024-01', '2024-03-20', '2024-06', '2024-06-30T20:00:00+08:00', '2025']
const amounts = ['0', '0.1', '0.2', '7.25', '1000000000000.000000000000000001']
const members = ['m0', 'm1', 'm2', 'm3']

type Step =
  | { kind: 'price'; date: string; amount: string; previous?: string; planned: boolean }
  | { kind: 'formed'; date: string; founders: string[] }
  | { kind: 'joined' | 'left'; date: string; member: string }
  | { kind: 'round'; date: string; amount?: { value: string; currency: 'CNY' | 'USD' } }
  | { kind: 'metric'; date: string; value: string; period?: string }
  | { kind: 'retract'; target: number }

const date = fc.constantFrom(...dates)
const step: fc.Arbitrary<{ step: Step; publishedAt?: string }> = fc.record(
  {
    step: fc.oneof(
      fc.record({
        kind: fc.constant('price' as const),
        date,
        amount: fc.constantFrom(...amounts),
        previous: fc.option(fc.constantFrom(...amounts), { nil: undefined }),
        planned: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      }),
      fc.record({
        kind: fc.constant('formed' as const),
        date,
        founders: fc.subarray(members, { minLength: 1, maxLength: 2 }),
      }),
      fc.record({
        kind: fc.constantFrom('joined' as const, 'left' as const),
        date,
        member: fc.constantFrom(...members),
      }),
      fc.record(
        {
          kind: fc.constant('round' as const),
          date,
          amount: fc.record({
            value: fc.constantFrom(...amounts),
            currency: fc.constantFrom('CNY' as const, 'USD' as const),
          }),
        },
        { requiredKeys: ['kind', 'date'] },
      ),
      fc.record(
        {
          kind: fc.constant('metric' as const),
          date,
          value: fc.constantFrom(...amounts),
          period: fc.constantFrom('2024', '2025'),
        },
        { requiredKeys: ['kind', 'date', 'value'] },
      ),
      fc.record({ kind: fc.constant('retract' as const), target: fc.nat(40) }),
    ),
    publishedAt: fc.constantFrom(...published),
  },
  { requiredKeys: ['step'] },
)

const ends = ['2023-11', '2024-01', '2024-02', '2024-03-15', '2024-06', '2024-12', '2025-02']

const question = fc.record({
  interval: fc.constantFrom('month' as const, 'quarter' as const, 'year' as const),
  ends: fc
    .tuple(fc.nat(ends.length - 1), fc.nat(ends.length - 1))
    .map(([a, b]) => [ends[Math.min(a, b)] as string, ends[Math.max(a, b)] as string] as const),
  /** An index into the batches' recordedAt, or past them: no knownAt (now). */
  knownAt: fc.nat(12),
  reportedBy: fc.option(fc.constantFrom('2024-02', '2024-03-31', '2024-06', '2024-07-01T00:00:00+08:00'), {
    nil: undefined,
  }),
  forPeriod: fc.option(fc.constantFrom('2024', '2025'), { nil: undefined }),
})

let run = 0

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.inject(url)
  expect(res.statusCode === 200 || res.statusCode === 404, `${url}: ${res.body}`).toBe(true)
  return { status: res.statusCode, body: res.json() }
}

describe('a series', () => {
  it('answers at each point what the as-of query answers there, for any history and question', {
    timeout: 300_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.array(question, { minLength: 1, maxLength: 3 }),
        async (steps, cuts, questions) => {
          run++
          const product = `sp-${run}-model`
          const alliance = `sp-${run}-alliance`
          const company = `sp-${run}-co`
          const stored = await appendInCuts(t.store, steps, cuts, ({ step: s, publishedAt }, stored) => {
            const event = eventOf(s, { product, alliance, company }, stored)
            return (
              event && {
                ...event,
                ...(publishedAt ? { source: { publisher: 'Test Daily', publishedAt } } : {}),
              }
            )
          })
          const head = stored.at(-1)?.position ?? 0
          const readModels = ['price-list', 'alliance-membership', 'funding', 'metrics', 'entities']
          expect(await waitUntilApplied(t.database.handle.db, readModels, head, 10_000)).toBe(true)
          const positions = new Map(stored.map((e) => [e.id, e.position]))
          const recordedAts = [...new Set(stored.map((e) => e.recordedAt))]

          for (const q of questions) {
            const [from, to] = q.ends
            const knownAt = recordedAts[q.knownAt]
            const time = [
              ...(knownAt ? [`knownAt=${encodeURIComponent(knownAt)}`] : []),
              ...(q.reportedBy ? [`reportedBy=${encodeURIComponent(q.reportedBy)}`] : []),
            ].join('&')
            const asked = `interval=${q.interval}&from=${from}&to=${to}${time ? `&${time}` : ''}`
            const asOf = async (path: string, at: string) =>
              get(
                `${path}${path.includes('?') ? '&' : '?'}asOf=${encodeURIComponent(at)}${time ? `&${time}` : ''}`,
              )
            const measures: Array<[string, (at: string) => Promise<unknown>]> = [
              [
                `measure=price&product=${product}&component=input`,
                async (at) => {
                  const { body } = await asOf(`/v1/prices?product=${product}`, at)
                  const rows = body.prices as Array<{ component: string; amount: string }>
                  return rows.find((r) => r.component === 'input')?.amount ?? null
                },
              ],
              [
                `measure=alliance-members&alliance=${alliance}`,
                async (at) => {
                  const { status, body } = await asOf(`/v1/alliances/${alliance}`, at)
                  return status === 404 ? 0 : (body.members as unknown[]).length
                },
              ],
              [
                `measure=funding-raised&company=${company}`,
                async (at) => {
                  const { body } = await asOf(`/v1/funding?company=${company}&limit=1000`, at)
                  const sums = new Map<string, bigint>()
                  for (const r of body.rounds as Array<{
                    amount: { value: string; currency: string } | null
                  }>) {
                    if (r.amount)
                      sums.set(
                        r.amount.currency,
                        (sums.get(r.amount.currency) ?? 0n) + toUnits(r.amount.value),
                      )
                  }
                  return Object.fromEntries(
                    [...sums].map(([currency, units]) => [currency, fromUnits(units)]),
                  )
                },
              ],
              [
                `measure=metric&subject=${company}&metric=customers${q.forPeriod ? `&forPeriod=${q.forPeriod}` : ''}`,
                async (at) => {
                  const { body } = await asOf(`/v1/metrics?subject=${company}&metric=customers`, at)
                  const rows = (
                    body.metrics as Array<{
                      value: string
                      forPeriod: string | null
                      effectiveFrom: string
                      eventId: string
                    }>
                  )
                    .filter((r) => q.forPeriod === undefined || r.forPeriod === q.forPeriod)
                    .sort((a, b) =>
                      a.effectiveFrom === b.effectiveFrom
                        ? (positions.get(a.eventId) ?? 0) - (positions.get(b.eventId) ?? 0)
                        : a.effectiveFrom < b.effectiveFrom
                          ? -1
                          : 1,
                    )
                  return rows.at(-1)?.value ?? null
                },
              ],
            ]
            for (const [measure, expected] of measures) {
              const { body } = await get(`/v1/series?${measure}&${asked}`)
              const points = body.points as Array<{ at: string; value: unknown }>
              expect(points.length).toBeGreaterThan(0)
              for (const point of points) {
                expect(point.value, `${measure}&${asked} at ${point.at}`).toEqual(await expected(point.at))
              }
            }
          }
        },
      ),
      { numRuns: 30, seed: 20261203 },
    )
  })
})

function eventOf(
  s: Step,
  subjects: { product: string; alliance: string; company: string },
  stored: readonly RecordedEvent[],
): EventInput | undefined {
  const member = (m: string) => `${subjects.alliance}-${m}`
  switch (s.kind) {
    case 'price':
      return {
        type: 'price.changed',
        subject: subjects.product,
        occurredAt: s.date,
        data: {
          component: 'input',
          amount: s.amount,
          currency: 'CNY',
          unit: '1K tokens',
          ...(s.previous ? { previousAmount: s.previous } : {}),
          ...(s.planned ? { status: 'planned' } : {}),
        },
      }
    case 'formed':
      return {
        type: 'alliance.formed',
        subject: subjects.alliance,
        occurredAt: s.date,
        data: { name: 'Alliance', conveners: [subjects.company], members: s.founders.map(member) },
      }
    case 'joined':
    case 'left':
      return {
        type: `alliance.member_${s.kind}`,
        subject: subjects.alliance,
        occurredAt: s.date,
        data: { member: member(s.member) },
      }
    case 'round':
      return {
        type: 'funding.round_closed',
        subject: subjects.company,
        occurredAt: s.date,
        data: { round: 'A', investors: [], ...(s.amount ? { amount: s.amount } : {}) },
      }
    case 'metric':
      return {
        type: 'metric.reported',
        subject: subjects.company,
        occurredAt: s.date,
        data: { metric: 'customers', value: s.value, ...(s.period ? { forPeriod: s.period } : {}) },
      }
    case 'retract': {
      const earlier = stored.filter((e) => e.type !== 'event.retracted')
      const target = earlier[s.target % Math.max(1, earlier.length)]
      return target
        ? {
            type: 'event.retracted',
            subject: target.subject,
            occurredAt: '2024',
            data: { eventId: target.id, reason: 'test' },
          }
        : undefined
    }
  }
}
