import { type Static, Type } from 'typebox'
import { catalogue, type EventData } from '../events/index.js'
import { fromUnits, toUnits } from '../src/catalogue/decimal.js'
import { byEffectiveTime, bySlug, defineReport, isoOf, type ReportTable } from '../src/reports/report.js'
import { type EntityNames, evolveNames, nameOf } from './entity-names.js'
import type { MarketEntry } from './market-entry.js'

/**
 * Funding rounds that took effect between `from` and `to`, as known at `knownAt`, in valid-time
 * order (the rounds of GET /v1/funding), with totals by currency and by investor. An investor's
 * total is the amount of the rounds it took part in: the sources rarely give each investor's share.
 */

const Totals = Type.Array(Type.Object({ currency: Type.String(), amount: Type.String() }))

const Round = Type.Object({
  company: Type.String(),
  companyName: Type.String(),
  round: Type.String(),
  amount: Type.Union([Type.Object({ value: Type.String(), currency: Type.String() }), Type.Null()]),
  valuation: Type.Union([
    Type.Object({ value: Type.String(), currency: Type.String(), qualifier: Type.String() }),
    Type.Null(),
  ]),
  investors: Type.Array(Type.Object({ investor: Type.String(), name: Type.String() })),
  occurredAt: Type.String(),
  precision: Type.String(),
  effectiveFrom: Type.String({ format: 'date-time' }),
  eventId: Type.String({ format: 'uuid' }),
})

export const FundingReportSchema = Type.Object({
  rounds: Type.Array(Round),
  totalsByCurrency: Type.Array(
    Type.Object({ currency: Type.String(), amount: Type.String(), rounds: Type.Integer() }),
    { description: 'Disclosed amounts summed per currency, and how many rounds disclosed one' },
  ),
  totalsByInvestor: Type.Array(
    Type.Object({ investor: Type.String(), name: Type.String(), rounds: Type.Integer(), totals: Totals }),
    {
      description:
        "Per investor: the rounds it took part in, and their disclosed amounts (not the investor's share)",
    },
  ),
})

export type FundingReport = Static<typeof FundingReportSchema>

interface RoundEntry {
  readonly effectiveAt: number
  readonly position: number
  readonly id: string
  readonly company: string
  readonly occurredAt: string
  readonly precision: string
  readonly data: EventData<'funding.round_closed'>
}

export interface FundingState {
  readonly from: number
  readonly to: number
  readonly names: EntityNames
  readonly rounds: RoundEntry[]
}

export function initialFunding(from: number | null, to: number | null): FundingState {
  return {
    from: from ?? Number.NEGATIVE_INFINITY,
    to: to ?? Number.POSITIVE_INFINITY,
    names: new Map(),
    rounds: [],
  }
}

export function evolveFunding(state: FundingState, event: MarketEntry): FundingState {
  if (event.type !== 'funding.round_closed') {
    evolveNames(state.names, event)
    return state
  }
  if (event.effectiveAt < state.from || event.effectiveAt > state.to) return state
  state.rounds.push({
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    company: event.subject,
    occurredAt: event.occurredAt,
    precision: event.precision,
    data: event.data,
  })
  return state
}

export function fundingOf(state: FundingState): FundingReport {
  const rounds = [...state.rounds].sort(byEffectiveTime)
  const byCurrency = new Map<string, { units: bigint; rounds: number }>()
  const byInvestor = new Map<string, { rounds: number; totals: Map<string, bigint> }>()
  for (const { data } of rounds) {
    if (data.amount) {
      const total = byCurrency.get(data.amount.currency) ?? { units: 0n, rounds: 0 }
      byCurrency.set(data.amount.currency, {
        units: total.units + toUnits(data.amount.value),
        rounds: total.rounds + 1,
      })
    }
    for (const investor of data.investors) {
      let entry = byInvestor.get(investor)
      if (!entry) {
        entry = { rounds: 0, totals: new Map() }
        byInvestor.set(investor, entry)
      }
      entry.rounds++
      if (data.amount) {
        const { currency, value } = data.amount
        entry.totals.set(currency, (entry.totals.get(currency) ?? 0n) + toUnits(value))
      }
    }
  }
  return {
    rounds: rounds.map((r) => ({
      company: r.company,
      companyName: nameOf(state.names, r.company),
      round: r.data.round,
      amount: r.data.amount ? { value: r.data.amount.value, currency: r.data.amount.currency } : null,
      valuation: r.data.valuation
        ? {
            value: r.data.valuation.value,
            currency: r.data.valuation.currency,
            qualifier: r.data.valuation.qualifier,
          }
        : null,
      investors: r.data.investors.map((investor) => ({ investor, name: nameOf(state.names, investor) })),
      occurredAt: r.occurredAt,
      precision: r.precision,
      effectiveFrom: isoOf(r.effectiveAt),
      eventId: r.id,
    })),
    totalsByCurrency: [...byCurrency]
      .sort(([a], [b]) => bySlug(a, b))
      .map(([currency, t]) => ({ currency, amount: fromUnits(t.units), rounds: t.rounds })),
    totalsByInvestor: [...byInvestor]
      .sort(([a], [b]) => bySlug(a, b))
      .map(([investor, entry]) => ({
        investor,
        name: nameOf(state.names, investor),
        rounds: entry.rounds,
        totals: [...entry.totals]
          .sort(([a], [b]) => bySlug(a, b))
          .map(([currency, units]) => ({ currency, amount: fromUnits(units) })),
      })),
  }
}

function fundingTables(result: FundingReport): ReportTable[] {
  return [
    {
      name: 'rounds',
      title: 'Funding rounds',
      columns: [
        { key: 'effectiveFrom', title: 'In effect from' },
        { key: 'occurredAt', title: 'Date given' },
        { key: 'company', title: 'Company' },
        { key: 'companyName', title: 'Name' },
        { key: 'round', title: 'Round' },
        { key: 'amount', title: 'Amount', align: 'right' },
        { key: 'currency', title: 'Currency' },
        { key: 'valuation', title: 'Valuation', align: 'right' },
        { key: 'valuationCurrency', title: 'Valuation currency' },
        { key: 'valuationQualifier', title: 'Qualifier' },
        { key: 'investors', title: 'Investors' },
        { key: 'eventId', title: 'Event' },
      ],
      rows: result.rounds.map((r) => ({
        effectiveFrom: r.effectiveFrom,
        occurredAt: r.occurredAt,
        company: r.company,
        companyName: r.companyName,
        round: r.round,
        amount: r.amount?.value ?? null,
        currency: r.amount?.currency ?? null,
        valuation: r.valuation?.value ?? null,
        valuationCurrency: r.valuation?.currency ?? null,
        valuationQualifier: r.valuation?.qualifier ?? null,
        investors: r.investors.map((i) => i.name).join('; '),
        eventId: r.eventId,
      })),
    },
    {
      name: 'totals-by-currency',
      title: 'Totals by currency',
      columns: [
        { key: 'currency', title: 'Currency' },
        { key: 'total', title: 'Total', align: 'right' },
        { key: 'rounds', title: 'Rounds', align: 'right' },
      ],
      rows: result.totalsByCurrency.map((t) => ({ currency: t.currency, total: t.amount, rounds: t.rounds })),
    },
    {
      name: 'totals-by-investor',
      title: 'Totals by investor',
      columns: [
        { key: 'investor', title: 'Investor' },
        { key: 'investorName', title: 'Name' },
        { key: 'rounds', title: 'Rounds', align: 'right' },
        { key: 'total', title: 'Total of its rounds', align: 'right' },
        { key: 'currency', title: 'Currency' },
      ],
      rows: result.totalsByInvestor.flatMap((i) => {
        const investor = { investor: i.investor, investorName: i.name, rounds: i.rounds }
        if (i.totals.length === 0) return [investor]
        return i.totals.map((t) => ({ ...investor, total: t.amount, currency: t.currency }))
      }),
    },
  ]
}

export const funding = defineReport<FundingState, FundingReport, MarketEntry>({
  name: 'funding',
  title: 'Funding',
  description:
    'Funding rounds that took effect from `from` to `to` (valid time), as known at knownAt, in valid-time ' +
    'order, with totals by currency and by investor (the amounts of the rounds each investor took part in).',
  period: 'window',
  eventTypes: [...catalogue.namingTypes(), 'funding.round_closed'],
  resultSchema: FundingReportSchema,
  initialState: (parameters) => initialFunding(parameters.from, parameters.to),
  evolve: evolveFunding,
  result: fundingOf,
  tables: fundingTables,
})
