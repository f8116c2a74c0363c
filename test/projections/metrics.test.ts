import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metricsAsOf } from '../../projections/metrics/read.js'
import type { MarketEntry } from '../../reports/market-entry.js'
import { type Metrics, metricsOf, reportMetric } from '../../reports/market-snapshot/metrics.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { parseMarketDate } from '../../src/time/market-date.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts, knownEvents, retractionOf } from '../support/batched-log.js'

/**
 * Property: for any history of figures — restated for the same period, for another period,
 * tied on dates, back-dated, retracted — in any cut of batches, the metrics read model answers
 * every (asOf, knownAt) as the market snapshot's fold does: per entity, metric and period, the
 * figure with the latest effectiveFrom, ties to the later position.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Step =
  | {
      kind: 'report'
      entity: number
      metric: 'customers' | 'models'
      period?: string
      date: string
      value: number
    }
  | { kind: 'retract'; target: number }

const dates = ['2024-01', '2024-02-10', '2024-02', '2024-03']
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      entity: fc.nat(1),
      metric: fc.constantFrom('customers' as const, 'models' as const),
      period: fc.option(fc.constantFrom('2024', '2021/2026'), { nil: undefined, freq: 2 }),
      date: fc.constantFrom(...dates),
      value: fc.nat(1000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat(30) }) },
)

/** The market snapshot's fold over the same events, as a replay hands them over. */
function folded(events: readonly RecordedEvent[], asOf: Date, knownAt: Date) {
  const metrics: Metrics = new Map()
  for (const e of knownEvents(events, knownAt)) {
    const entry = { ...e, effectiveAt: Date.parse(e.effectiveFrom) } as unknown as MarketEntry
    if (entry.effectiveAt <= asOf.getTime() && entry.type === 'metric.reported') reportMetric(metrics, entry)
  }
  return metricsOf(metrics, new Map())
}

let run = 0

describe('the metrics read model', () => {
  it('agrees with the snapshot fold for any history, batching, asOf and knownAt', {
    timeout: 180_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        async (steps, cuts) => {
          run++
          const entities = [`metprop-${run}-a`, `metprop-${run}-b`]
          const stored = await appendInCuts(t.store, steps, cuts, (s, stored) =>
            s.kind === 'retract'
              ? retractionOf(
                  stored.filter((e) => e.type !== 'event.retracted'),
                  s.target,
                )
              : {
                  type: 'metric.reported',
                  subject: entities[s.entity] as string,
                  occurredAt: s.date,
                  data: {
                    metric: s.metric,
                    value: String(s.value),
                    ...(s.period ? { forPeriod: s.period } : {}),
                  },
                },
          )
          const head = stored.at(-1)?.position ?? 0
          expect(await waitUntilApplied(t.database.handle.db, ['metrics', 'entities'], head, 10_000)).toBe(
            true,
          )

          const knownAts = [...new Set(stored.map((e) => e.recordedAt))].map((iso) => new Date(iso))
          for (const knownAt of knownAts) {
            for (const date of ['2023-12', ...dates]) {
              const asOf = parseMarketDate(date, 'UTC')?.end.toJSDate() as Date
              const want = folded(stored, asOf, knownAt).filter((m) => entities.includes(m.entity))
              for (const subject of entities) {
                const actual = (await metricsAsOf(t.database.handle.db, { asOf, knownAt, subject })).map(
                  ({ entityName: _, ...m }) => m,
                )
                expect(actual, `${subject} ${date} ${knownAt.toISOString()}`).toEqual(
                  want.filter((m) => m.entity === subject).map(({ entityName: _, ...m }) => m),
                )
              }
            }
          }
        },
      ),
      { numRuns: 40, seed: 20261202 },
    )
  })

  it('answers GET /v1/metrics from the article facts', async () => {
    const res = await t.inject('/v1/metrics?asOf=2024-12-31')
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as { metrics: Array<{ entity: string; metric: string; value: string }> }
    expect(body.metrics.length).toBeGreaterThan(0)
    const bad = await t.inject('/v1/metrics?metric=Not_Kebab')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].path).toBe('/metric')
  })
})
