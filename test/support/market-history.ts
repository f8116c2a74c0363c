import fc from 'fast-check'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'

/**
 * Random market histories for properties over every read model: companies and products (renamed,
 * registered, launched, planned), prices, alliances formed, joined and left, funding rounds,
 * relations established and ended, figures, and retractions of any earlier event — each step one
 * event of a run's own slugs.
 */

export const dates = ['2023', '2023-06', '2024-01', '2024-02-10', '2024-02', '2024-03-15', '2024-05']
export const asOfs = ['2022-12', ...dates, '2024-12']
const amounts = ['0', '0.02', '0.0005', '1', '7.5']
const values = ['1000000', '250000000.5', '0', '30000000']
type Status = 'planned' | 'announced'
const status = fc.constantFrom<Status | undefined>(undefined, undefined, undefined, 'planned', 'announced')
/** When a step's source was published (none: it counts from when it was recorded), and reportedBy. */
export const published = ['2023', '2024-01', '2024-02-10', '2024-02-10T12:00:00Z', '2024-02', '2024-03-15']
export const reportedBys = [
  '2023-12',
  '2024-01-31',
  '2024-02-10',
  '2024-02-10T11:59:59Z',
  '2024-02',
  '2024-12',
  '2099',
]
const few = (max: number) => fc.uniqueArray(fc.integer({ min: 0, max }), { maxLength: 3 })

export type Step =
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
  | { kind: 'metric'; entity: number; date: string; value: string; forPeriod?: string }
  | { kind: 'retract'; target: number }

export const step: fc.Arbitrary<Step> = fc.oneof(
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
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('metric' as const),
      entity: fc.nat(2),
      date: fc.constantFrom(...dates),
      value: fc.constantFrom('100', '120', '7.5'),
      forPeriod: fc.option(fc.constantFrom('2024', '2021/2026'), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retract' as const), target: fc.nat(40) }) },
)

/** One run's slugs, apart from every other run's in the same database. */
export function universe(n: number) {
  return {
    prefix: `r${n}-`,
    company: (i: number) => `r${n}-company-${i}`,
    product: (i: number) => `r${n}-model-${i}`,
    alliance: (i: number) => `r${n}-alliance-${i}`,
  }
}

export function eventOf(
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
    case 'metric':
      return {
        type: 'metric.reported',
        subject: u.company(s.entity),
        occurredAt: s.date,
        data: { metric: 'customers', value: s.value, ...(s.forPeriod ? { forPeriod: s.forPeriod } : {}) },
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
