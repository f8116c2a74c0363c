import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { priceListAsOf } from '../../projections/price-list/read.js'
import type { PriceInEffect } from '../../projections/price-list/schemas.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { parseMarketDate } from '../../src/time/market-date.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts, byValidTime, retractionOf } from '../support/batched-log.js'

/**
 * Property: for any history of price changes — back-dated, tied on dates, with previousAmount,
 * planned or announced, retracted — delivered in any cut of batches, the price list read model answers every
 * (asOf, knownAt) exactly as a direct reading of the log does.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Step =
  | {
      kind: 'price'
      product: number
      component: 'input' | 'output'
      date: string
      amount: string
      previous?: string
      status?: 'planned' | 'announced'
    }
  | { kind: 'retract'; target: number }

const dates = ['2024-01', '2024-02-10', '2024-02', '2024-03-01', '2024-03-15', '2024-05']
const amounts = ['0', '0.02', '0.0005', '1', '7.5']
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('price' as const),
      product: fc.integer({ min: 0, max: 1 }),
      component: fc.constantFrom('input' as const, 'output' as const),
      date: fc.constantFrom(...dates),
      amount: fc.constantFrom(...amounts),
      previous: fc.option(fc.constantFrom(...amounts), { nil: undefined }),
      status: fc.constantFrom(undefined, undefined, undefined, 'planned' as const, 'announced' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat(30) }) },
)

let run = 0

/** The answer read straight from the log, per the documented rules: a planned change is no price. */
function expected(events: RecordedEvent[], product: string, asOf: Date, knownAt: Date) {
  const known = events.filter((e) => new Date(e.recordedAt) <= knownAt)
  const retracted = new Set(
    known
      .filter((e) => e.type === 'event.retracted')
      .map((r) => ({ r, target: known.find((e) => e.id === (r.data as { eventId: string }).eventId) }))
      .filter(({ r, target }) => target && target.position < r.position)
      .map(({ target }) => target?.id),
  )
  const changes = known.filter(
    (e) =>
      e.type === 'price.changed' &&
      e.subject === product &&
      !retracted.has(e.id) &&
      (e.data as { status?: string }).status === undefined,
  )
  const result: Array<{ component: string; amount: string; effectiveFrom: string | null }> = []
  for (const component of ['input', 'output']) {
    const points = changes
      .filter((e) => (e.data as { component: string }).component === component)
      .sort(byValidTime)
    const cur = points.filter((e) => new Date(e.effectiveFrom) <= asOf).at(-1)
    const next = points.find((e) => new Date(e.effectiveFrom) > asOf)
    const curAmount = (cur?.data as { amount: string } | undefined)?.amount
    const previous = (next?.data as { previousAmount?: string } | undefined)?.previousAmount
    if (previous !== undefined && (curAmount === undefined || curAmount !== previous)) {
      result.push({ component, amount: previous, effectiveFrom: null })
    } else if (cur && curAmount !== undefined) {
      result.push({ component, amount: curAmount, effectiveFrom: cur.effectiveFrom })
    }
  }
  return result
}

describe('the price list read model', () => {
  it('agrees with a direct reading of the log for any history, batching, asOf and knownAt', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        async (steps, cuts) => {
          run++
          const products = [`prop-${run}-a`, `prop-${run}-b`]
          const stored = await appendInCuts(t.store, steps, cuts, (s, stored) =>
            s.kind === 'price'
              ? {
                  type: 'price.changed',
                  subject: products[s.product] as string,
                  occurredAt: s.date,
                  data: {
                    component: s.component,
                    amount: s.amount,
                    currency: 'CNY',
                    unit: '1K tokens',
                    ...(s.previous ? { previousAmount: s.previous } : {}),
                    ...(s.status ? { status: s.status } : {}),
                  },
                }
              : retractionOf(
                  stored.filter((e) => e.type === 'price.changed'),
                  s.target,
                ),
          )
          const head = stored.at(-1)?.position ?? 0
          expect(await waitUntilApplied(t.database.handle.db, ['price-list', 'entities'], head, 10_000)).toBe(
            true,
          )

          const knownAts = [...new Set(stored.map((e) => e.recordedAt))].map((iso) => new Date(iso))
          for (const knownAt of knownAts) {
            for (const date of ['2023-12', ...dates]) {
              const asOf = parseMarketDate(date, 'UTC')?.end.toJSDate() as Date
              for (const product of products) {
                const actual = (await priceListAsOf(t.database.handle.db, { asOf, knownAt, product })).map(
                  (p: PriceInEffect) => ({
                    component: p.component,
                    amount: p.amount,
                    effectiveFrom: p.effectiveFrom,
                  }),
                )
                expect(actual).toEqual(expected(stored, product, asOf, knownAt))
              }
            }
          }
        },
      ),
      { numRuns: 25, seed: 20241129 },
    )
  })
})
