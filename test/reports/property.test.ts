import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromUnits, toUnits } from '../../src/catalogue/decimal.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { appendInCuts } from '../support/batched-log.js'

/**
 * Property: for any history — back-dated facts, renames, retractions (of retractions too),
 * alliances formed, joined and left, funding rounds, planned or announced launches, price changes
 * and formations, relations established (in effect, planned or announced), ended and established
 * again — cut into any batches, published at any date or none, and any asOf, knownAt and reportedBy,
 * the market-snapshot report (a replay of
 * the log) and the read models (built by the background projections) give the same prices,
 * alliances, members, funding, valuations and relations.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

const dates = ['2023', '2023-06', '2024-01', '2024-02-10', '2024-02', '2024-03-15', '2024-05']
const asOfs = ['2022-12', ...dates, '2024-12']
const amounts = ['0', '0.02', '0.0005', '1', '7.5']
const values = ['1000000', '250000000.5', '0', '30000000']
type Status = 'planned' | 'announced'
const status = fc.constantFrom<Status | undefined>(undefined, undefined, undefined, 'planned', 'announced')
/** When a step's source was published (none: it counts from when it was recorded), and reportedBy. */
const published = ['2023', '2024-01', '2024-02-10', '2024-02-10T12:00:00Z', '2024-02', '2024-03-15']
const reportedBys = [
  '2023-12',
  '2024-01-31',
  '2024-02-10',
  '2024-02-10T11:59:59Z',
  '2024-02',
  '2024-12',
  '2099',
]
const few = (max: number) => fc.uniqueArray(fc.integer({ min: 0, max }), { maxLength: 3 })

type Step =
  | { kind: 'company'; company: number; name: string }
  | { kind: 'product'; product: number; company: number; launched: boolean; name: string; status?: Status }
  | {
      kind: 'price'
      product: number
      component: string
      date: string
      amount: string
      previous?: string
      status?: Status
    }
  | {
      kind: 'formed'
      alliance: number
      date: string
      conveners: number[]
      members: number[]
      name: string
      status?: Status
    }
  | { kind: 'joined' | 'left'; alliance: number; member: number; date: string }
  | {
      kind: 'round'
      company: number
      date: string
      amount?: { value: string; currency: string }
      valuation?: { value: string; currency: string }
      investors: number[]
    }
  | {
      kind: 'established'
      from: number
      to: number
      relation: string
      date: string
      status?: 'planned' | 'announced'
    }
  | { kind: 'ended'; from: number; to: number; relation: string; date: string }
  | { kind: 'retract'; target: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('company' as const),
      company: fc.nat(2),
      name: fc.constantFrom('A', 'B'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('product' as const),
      product: fc.nat(2),
      company: fc.nat(2),
      launched: fc.boolean(),
      name: fc.constantFrom('X', 'Y'),
      status,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('price' as const),
      product: fc.nat(2),
      component: fc.constantFrom('input', 'output'),
      date: fc.constantFrom(...dates),
      amount: fc.constantFrom(...amounts),
      previous: fc.option(fc.constantFrom(...amounts), { nil: undefined }),
      status,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('formed' as const),
      alliance: fc.nat(1),
      date: fc.constantFrom(...dates),
      conveners: few(2).filter((c) => c.length > 0),
      members: few(2),
      name: fc.constantFrom('First', 'Second'),
      status,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom('joined' as const, 'left' as const),
      alliance: fc.nat(1),
      member: fc.nat(2),
      date: fc.constantFrom(...dates),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('round' as const),
      company: fc.nat(2),
      date: fc.constantFrom('2023', '2024-01', '2024-05'),
      amount: fc.option(
        fc.record({ value: fc.constantFrom(...values), currency: fc.constantFrom('USD', 'CNY') }),
        { nil: undefined },
      ),
      valuation: fc.option(
        fc.record({ value: fc.constantFrom(...values), currency: fc.constantFrom('USD', 'CNY') }),
        { nil: undefined },
      ),
      investors: few(2),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('established' as const),
      from: fc.nat(1),
      to: fc.nat(1),
      relation: fc.constantFrom('built-on', 'supplies'),
      date: fc.constantFrom(...dates),
      status: fc.option(fc.constantFrom('planned' as const, 'announced' as const), {
        nil: undefined,
        freq: 4,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('ended' as const),
      from: fc.nat(1),
      to: fc.nat(1),
      relation: fc.constantFrom('built-on', 'supplies'),
      date: fc.constantFrom(...dates),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat(40) }) },
)

let run = 0

/** One run's slugs, apart from every other run's in the same database. */
function universe(n: number) {
  return {
    prefix: `r${n}-`,
    company: (i: number) => `r${n}-company-${i}`,
    product: (i: number) => `r${n}-model-${i}`,
    alliance: (i: number) => `r${n}-alliance-${i}`,
  }
}

function eventOf(
  s: Step,
  u: ReturnType<typeof universe>,
  stored: readonly RecordedEvent[],
): EventInput | undefined {
  switch (s.kind) {
    case 'company':
      return {
        type: 'entity.registered',
        subject: u.company(s.company),
        occurredAt: '2023',
        data: { kind: 'company', name: `Company ${s.name}`, localName: `公司${s.name}` },
      }
    case 'product':
      return s.launched
        ? {
            type: 'product.launched',
            subject: u.product(s.product),
            occurredAt: '2023-06',
            data: {
              company: u.company(s.company),
              name: `Model ${s.name}`,
              category: 'llm',
              ...(s.status ? { status: s.status } : {}),
            },
          }
        : {
            type: 'entity.registered',
            subject: u.product(s.product),
            occurredAt: '2024',
            data: { kind: 'product', name: `Model ${s.name}`, owner: u.company(s.company) },
          }
    case 'price':
      return {
        type: 'price.changed',
        subject: u.product(s.product),
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
    case 'formed':
      return {
        type: 'alliance.formed',
        subject: u.alliance(s.alliance),
        occurredAt: s.date,
        data: {
          name: `${s.name} Alliance`,
          conveners: s.conveners.map(u.company),
          members: s.members.map(u.company),
          ...(s.status ? { status: s.status } : {}),
        },
      }
    case 'joined':
    case 'left':
      return {
        type: `alliance.member_${s.kind}`,
        subject: u.alliance(s.alliance),
        occurredAt: s.date,
        data: { member: u.company(s.member) },
      }
    case 'round':
      return {
        type: 'funding.round_closed',
        subject: u.company(s.company),
        occurredAt: s.date,
        data: {
          round: 'A',
          investors: s.investors.map(u.company),
          ...(s.amount ? { amount: s.amount } : {}),
          ...(s.valuation ? { valuation: { ...s.valuation, qualifier: 'about' } } : {}),
        },
      }
    case 'established':
      return {
        type: 'relation.established',
        subject: u.company(s.from),
        occurredAt: s.date,
        data: { to: u.company(s.to), kind: s.relation, ...(s.status ? { status: s.status } : {}) },
      }
    case 'ended':
      return {
        type: 'relation.ended',
        subject: u.company(s.from),
        occurredAt: s.date,
        data: { to: u.company(s.to), kind: s.relation },
      }
    case 'retract': {
      const target = stored[s.target % Math.max(1, stored.length)]
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

const bySlug = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0

interface Snapshot {
  products: Array<{
    product: string
    name: string
    company: string | null
    prices: Array<Record<string, unknown>>
  }>
  alliances: Array<{ alliance: string; members: Array<Record<string, unknown>> }>
  companies: Array<{
    company: string
    name: string
    localName: string | null
    fundingRounds: number
    fundingTotals: Array<{ currency: string; amount: string }>
    latestValuation: unknown
  }>
  relations: Array<{ from: string; to: string }>
}

/** Both answers for one (asOf, knownAt), restricted to one run's slugs. */
async function compare(
  u: ReturnType<typeof universe>,
  head: number,
  asOf: string,
  knownAt: string | undefined,
  reportedBy?: string,
) {
  const at =
    `asOf=${asOf}${knownAt ? `&knownAt=${encodeURIComponent(knownAt)}` : ''}` +
    (reportedBy ? `&reportedBy=${encodeURIComponent(reportedBy)}` : '')
  const readModel = async (path: string) => {
    const res = await t.inject(`${path}${path.includes('?') ? '&' : '?'}${at}&consistentWith=${head}`)
    return { status: res.statusCode, body: res.json() }
  }
  const ours = <T extends Record<string, unknown>>(rows: T[], key: string) =>
    rows.filter((r) => String(r[key]).startsWith(u.prefix)).sort(bySlug(key))

  const res = await t.inject(`/v1/reports/market-snapshot?${at}`)
  expect(res.statusCode, res.body).toBe(200)
  const snapshot: Snapshot = res.json()

  const prices = ours((await readModel('/v1/prices')).body.prices, 'product')
  const fromSnapshot = ours(snapshot.products, 'product').flatMap((p) =>
    p.prices.map((price) => ({ product: p.product, productName: p.name, company: p.company, ...price })),
  )
  expect(fromSnapshot, `prices ${at}`).toEqual(prices)

  const answered: Snapshot['alliances'] = (await readModel('/v1/alliances')).body.alliances
  const alliances = ours(answered, 'alliance').map((a) => ({
    ...a,
    members: [...a.members].sort(bySlug('member')),
  }))
  expect(ours(snapshot.alliances, 'alliance'), `alliances ${at}`).toEqual(alliances)

  const relations: Snapshot['relations'] = []
  let next: string | null = null
  for (let page = 0; page < 100; page++) {
    const { body } = await readModel(`/v1/relations?limit=50${next ? `&next=${next}` : ''}`)
    relations.push(...body.relations)
    next = body.next
    if (!next) break
  }
  const ourRelations = snapshot.relations.filter((r) => r.from.startsWith(u.prefix))
  expect(ourRelations, `relations ${at}`).toEqual(relations.filter((r) => r.from.startsWith(u.prefix)))

  const companies = ours(snapshot.companies, 'company')
  for (const company of companies) {
    const profile = await readModel(`/v1/companies/${company.company}`)
    expect(profile.status, `company ${company.company} ${at}`).toBe(200)
    expect(profile.body.relations, `relations of ${company.company} ${at}`).toEqual(
      ourRelations.filter((r) => r.from === company.company || r.to === company.company),
    )
    const rounds: Array<{ amount: { value: string; currency: string } | null }> = profile.body.fundingRounds
    const totals = new Map<string, bigint>()
    for (const { amount } of rounds) {
      if (amount) totals.set(amount.currency, (totals.get(amount.currency) ?? 0n) + toUnits(amount.value))
    }
    expect(company, `company ${company.company} ${at}`).toEqual({
      company: company.company,
      name: profile.body.name,
      localName: profile.body.localName,
      fundingRounds: rounds.length,
      fundingTotals: [...totals].sort().map(([currency, units]) => ({ currency, amount: fromUnits(units) })),
      latestValuation: profile.body.latestValuation,
    })
  }
  const funded = ours((await readModel('/v1/funding')).body.rounds, 'company').map((r) => r.company)
  expect(companies.map((c) => c.company)).toEqual(expect.arrayContaining([...new Set(funded)]))
}

describe('the market-snapshot report', () => {
  it('agrees with the read models for any history, batching, publication, asOf, knownAt and reportedBy', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 50, size: 'medium' }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.record({
            asOf: fc.constantFrom(...asOfs),
            knownAt: fc.nat(),
            reportedBy: fc.option(fc.constantFrom(...reportedBys), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        fc.array(fc.option(fc.constantFrom(...published), { nil: undefined }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (steps, cuts, moments, publications) => {
          const u = universe(++run)
          const stored = await appendInCuts(t.store, steps, cuts, (s, stored, i) => {
            const event = eventOf(s, u, stored)
            const publishedAt = publications[i % publications.length]
            return event && { ...event, source: { publisher: 'P', ...(publishedAt ? { publishedAt } : {}) } }
          })
          const head = stored.at(-1)?.position ?? 0
          const knownAts = [...new Set(stored.map((e) => e.recordedAt)), undefined]
          for (const { asOf, knownAt, reportedBy } of moments) {
            await compare(u, head, asOf, knownAts[knownAt % knownAts.length], reportedBy)
          }
        },
      ),
      { numRuns: 25, seed: 20241130 },
    )
  })
})
