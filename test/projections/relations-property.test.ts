import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relationsAsOf } from '../../projections/relations/read.js'
import type { MarketEntry } from '../../reports/market-entry.js'
import {
  endRelation,
  establishRelation,
  type Relations,
  relationsOf,
} from '../../reports/market-snapshot/relations.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { parseMarketDate } from '../../src/time/market-date.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts, byValidTime, knownEvents, retractionOf } from '../support/batched-log.js'

/**
 * Property: for any history of relations between two entities — established, planned or
 * announced, ended, established again, tied on dates, back-dated, retracted — delivered in any
 * cut of batches, the relations read model and the market snapshot's fold both answer every
 * (asOf, knownAt) as a walk through the log in valid-time order does: an end closes the spell,
 * the first establishment after it opens the next.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Step =
  | {
      kind: 'established' | 'ended'
      from: number
      to: number
      relation: 'built-on' | 'supplies'
      date: string
      status?: 'planned' | 'announced'
    }
  | { kind: 'retract'; target: number }

/** Few dates, so that establishments and ends often tie in valid time. */
const dates = ['2024-01', '2024-02-10', '2024-02', '2024-03']
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom('established' as const, 'established' as const, 'ended' as const),
      from: fc.nat(1),
      to: fc.nat(1),
      relation: fc.constantFrom('built-on' as const, 'built-on' as const, 'supplies' as const),
      date: fc.constantFrom(...dates),
      status: fc.option(fc.constantFrom('planned' as const, 'announced' as const), {
        nil: undefined,
        freq: 5,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat(30) }) },
)

interface Fact {
  from: string
  kind: string
  to: string
  since: string
  eventId: string
}

const byKey = (a: Fact, b: Fact) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)

/** The answer read straight from the log: per relation, a walk in valid-time order. */
function expected(events: readonly RecordedEvent[], asOf: Date, knownAt: Date): Fact[] {
  const spells = new Map<string, Fact | null>()
  const changes = knownEvents(events, knownAt)
    .filter((e) => e.type.startsWith('relation.') && new Date(e.effectiveFrom) <= asOf)
    .filter((e) => (e.data as { status?: string }).status === undefined)
    .sort(byValidTime)
  for (const e of changes) {
    const { to, kind } = e.data as { to: string; kind: string }
    const key = `${e.subject} ${kind} ${to}`
    if (e.type === 'relation.ended') spells.set(key, null)
    else if (!spells.get(key))
      spells.set(key, { from: e.subject, kind, to, since: e.effectiveFrom, eventId: e.id })
  }
  return [...spells.values()].flatMap((f) => (f ? [f] : [])).sort(byKey)
}

/** The market snapshot's fold over the same events, as a replay hands them over. */
function folded(events: readonly RecordedEvent[], asOf: Date, knownAt: Date): Fact[] {
  const relations: Relations = new Map()
  for (const e of knownEvents(events, knownAt)) {
    const entry = { ...e, effectiveAt: Date.parse(e.effectiveFrom) } as unknown as MarketEntry
    if (entry.effectiveAt > asOf.getTime()) continue
    if (entry.type === 'relation.established') establishRelation(relations, entry)
    if (entry.type === 'relation.ended') endRelation(relations, entry)
  }
  return relationsOf(relations, new Map()).map(({ from, kind, to, since, eventId }) => ({
    from,
    kind,
    to,
    since,
    eventId,
  }))
}

let run = 0

describe('the relations read model', () => {
  it('agrees with a walk through the log, as the snapshot fold does, for any history, batching, asOf and knownAt', {
    timeout: 180_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        async (steps, cuts) => {
          run++
          const entities = [`relprop-${run}-a`, `relprop-${run}-b`]
          const stored = await appendInCuts(t.store, steps, cuts, (s, stored) =>
            s.kind === 'retract'
              ? retractionOf(
                  stored.filter((e) => e.type !== 'event.retracted'),
                  s.target,
                )
              : {
                  type: `relation.${s.kind}`,
                  subject: entities[s.from] as string,
                  occurredAt: s.date,
                  data: {
                    to: entities[s.to] as string,
                    kind: s.relation,
                    ...(s.kind === 'established' && s.status ? { status: s.status } : {}),
                  },
                },
          )
          const head = stored.at(-1)?.position ?? 0
          expect(await waitUntilApplied(t.database.handle.db, ['relations', 'entities'], head, 10_000)).toBe(
            true,
          )

          const knownAts = [...new Set(stored.map((e) => e.recordedAt))].map((iso) => new Date(iso))
          for (const knownAt of knownAts) {
            for (const date of ['2023-12', ...dates]) {
              const asOf = parseMarketDate(date, 'UTC')?.end.toJSDate() as Date
              const want = expected(stored, asOf, knownAt)
              expect(
                folded(stored, asOf, knownAt).sort(byKey),
                `fold ${date} ${knownAt.toISOString()}`,
              ).toEqual(want)
              for (const subject of entities) {
                const actual = (await relationsAsOf(t.database.handle.db, { asOf, knownAt, subject }))
                  .map(({ from, kind, to, since, eventId }) => ({ from, kind, to, since, eventId }))
                  .sort(byKey)
                expect(actual, `${subject} ${date} ${knownAt.toISOString()}`).toEqual(
                  want.filter((f) => f.from === subject || f.to === subject),
                )
              }
            }
          }
        },
      ),
      { numRuns: 60, seed: 20261202 },
    )
  })
})
