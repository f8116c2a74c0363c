import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alliancesAsOf } from '../../projections/alliance-membership/read.js'
import type { MarketEntry } from '../../reports/market-entry.js'
import {
  type Alliances,
  alliancesOf,
  formAlliance,
  joinAlliance,
  leaveAlliance,
} from '../../reports/market-snapshot/alliances.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { parseMarketDate } from '../../src/time/market-date.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts, byValidTime, knownEvents, retractionOf } from '../support/batched-log.js'

/**
 * Property: for any history of one alliance — formed (again), its two members joining and leaving
 * many times, tied on dates, back-dated, retracted — delivered in any cut of batches, the alliance
 * membership read model and the market snapshot's fold both answer every (asOf, knownAt) as a walk
 * through the log in valid-time order does: a departure closes the spell, the first join after it
 * opens the next, and `since` is that join's time.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

type Step =
  | { kind: 'formed'; date: string; founders: number[] }
  | { kind: 'joined' | 'left'; member: number; date: string }
  | { kind: 'retract'; target: number }

/** Few dates, so that joins and departures often tie in valid time. */
const dates = ['2024-01', '2024-02-10', '2024-02', '2024-03', '2024-04']
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('formed' as const),
      date: fc.constantFrom('2023-12', ...dates),
      founders: fc.subarray([0, 1]),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constantFrom('joined' as const, 'left' as const),
      member: fc.nat(1),
      date: fc.constantFrom(...dates),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat(30) }) },
)

interface Member {
  member: string
  since: string
}

/**
 * The answer read straight from the log: undefined while no formation is in effect, else each
 * member's spell, walked in valid-time order (ties: log order). A formation's founders join at its time.
 */
function expected(events: readonly RecordedEvent[], asOf: Date, knownAt: Date): Member[] | undefined {
  const inEffect = knownEvents(events, knownAt)
    .filter((e) => new Date(e.effectiveFrom) <= asOf)
    .sort(byValidTime)
  if (!inEffect.some((e) => e.type === 'alliance.formed')) return undefined
  const spells = new Map<string, string | null>()
  const join = (member: string, at: string) => {
    if (!spells.get(member)) spells.set(member, at)
  }
  for (const e of inEffect) {
    if (e.type === 'alliance.formed')
      for (const m of (e.data as { members: string[] }).members) join(m, e.effectiveFrom)
    const { member } = e.data as { member?: string }
    if (member === undefined) continue
    if (e.type === 'alliance.member_joined') join(member, e.effectiveFrom)
    if (e.type === 'alliance.member_left') spells.set(member, null)
  }
  return [...spells]
    .flatMap(([member, since]) => (since ? [{ member, since: new Date(since).toISOString() }] : []))
    .sort((a, b) => (a.member < b.member ? -1 : 1))
}

/** The market snapshot's fold over the same events, as a replay hands them over. */
function folded(events: readonly RecordedEvent[], asOf: Date, knownAt: Date): Member[] | undefined {
  const alliances: Alliances = new Map()
  for (const e of knownEvents(events, knownAt)) {
    const entry = { ...e, effectiveAt: Date.parse(e.effectiveFrom) } as unknown as MarketEntry
    if (entry.effectiveAt > asOf.getTime()) continue
    if (entry.type === 'alliance.formed') formAlliance(alliances, entry)
    if (entry.type === 'alliance.member_joined') joinAlliance(alliances, entry)
    if (entry.type === 'alliance.member_left') leaveAlliance(alliances, entry)
  }
  const [alliance] = alliancesOf(alliances, new Map())
  return alliance?.members.map(({ member, since }) => ({ member, since }))
}

let run = 0

describe('the alliance membership read model', () => {
  it('agrees with a walk through the log, as the snapshot fold does, for any history, batching, asOf and knownAt', {
    timeout: 180_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        step.filter((s) => s.kind === 'formed'),
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        async (formation, steps, cuts) => {
          run++
          const alliance = `allprop-${run}`
          const members = [`allprop-${run}-a`, `allprop-${run}-b`]
          const stored = await appendInCuts(t.store, [formation, ...steps], cuts, (s, stored) => {
            if (s.kind === 'retract')
              return retractionOf(
                stored.filter((e) => e.type !== 'event.retracted'),
                s.target,
              )
            if (s.kind === 'formed')
              return {
                type: 'alliance.formed',
                subject: alliance,
                occurredAt: s.date,
                data: {
                  name: `Alliance ${run}`,
                  conveners: ['allprop-convener'],
                  members: s.founders.map((i) => members[i] as string),
                },
              }
            return {
              type: `alliance.member_${s.kind}`,
              subject: alliance,
              occurredAt: s.date,
              data: { member: members[s.member] as string },
            }
          })
          const head = stored.at(-1)?.position ?? 0
          expect(
            await waitUntilApplied(t.database.handle.db, ['alliance-membership', 'entities'], head, 10_000),
          ).toBe(true)

          const knownAts = [...new Set(stored.map((e) => e.recordedAt))].map((iso) => new Date(iso))
          for (const knownAt of knownAts) {
            for (const date of ['2023-11', '2023-12', ...dates]) {
              const asOf = parseMarketDate(date, 'UTC')?.end.toJSDate() as Date
              const want = expected(stored, asOf, knownAt)
              const at = `${date} ${knownAt.toISOString()}`
              expect(folded(stored, asOf, knownAt), `fold ${at}`).toEqual(want)
              const [actual] = await alliancesAsOf(t.database.handle.db, { asOf, knownAt, alliance })
              expect(
                actual?.members.map(({ member, since }) => ({ member, since })),
                at,
              ).toEqual(want)
            }
          }
        },
      ),
      { numRuns: 60, seed: 20261204 },
    )
  })
})
