import type { FundingRound } from '../../projections/funding.js'
import { fromUnits, toUnits } from '../../src/catalogue/decimal.js'
import { bySlug, isoOf } from '../../src/reports/report.js'
import { type EntityNames, nameOf } from '../entity-names.js'
import type { EntryOf } from '../market-entry.js'
import { entryOf, type Point } from './point.js'
import type { MarketSnapshot } from './schema.js'

interface Valuation extends Point {
  readonly value: string
  readonly currency: string
  readonly qualifier: string
  readonly round: string
}

/** A round as it was closed; names are looked up when the result is made. */
export interface Round extends Point {
  readonly round: string
  readonly amount: { readonly value: string; readonly currency: string } | null
  readonly valuation: { readonly value: string; readonly currency: string; readonly qualifier: string } | null
  readonly investors: readonly string[]
  readonly occurredAt: string
  readonly precision: string
}

interface CompanyFunding {
  rounds: number
  readonly totals: Map<string, bigint>
  valuation: Valuation | null
  /** Every round in effect, in recording order. */
  readonly closed: Round[]
}

export type Funding = Map<string, CompanyFunding>

export function closeRound(funding: Funding, event: EntryOf<'funding.round_closed'>): void {
  const d = event.data
  const company = entryOf(
    funding,
    event.subject,
    (): CompanyFunding => ({
      rounds: 0,
      totals: new Map(),
      valuation: null,
      closed: [],
    }),
  )
  company.rounds++
  company.closed.push({
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    round: d.round,
    amount: d.amount ? { value: d.amount.value, currency: d.amount.currency } : null,
    valuation: d.valuation
      ? { value: d.valuation.value, currency: d.valuation.currency, qualifier: d.valuation.qualifier }
      : null,
    investors: d.investors,
    occurredAt: event.occurredAt,
    precision: event.precision,
  })
  if (d.amount) {
    const { currency, value } = d.amount
    company.totals.set(currency, (company.totals.get(currency) ?? 0n) + toUnits(value))
  }
  if (d.valuation && (!company.valuation || event.effectiveAt >= company.valuation.effectiveAt)) {
    company.valuation = {
      effectiveAt: event.effectiveAt,
      position: event.position,
      id: event.id,
      value: d.valuation.value,
      currency: d.valuation.currency,
      qualifier: d.valuation.qualifier,
      round: d.round,
    }
  }
}

/** Registered companies and companies with a round in effect, by slug. */
export function companiesOf(funding: Funding, names: EntityNames): MarketSnapshot['companies'] {
  const registered = [...names].filter(([, e]) => e.kind === 'company').map(([slug]) => slug)
  return [...new Set([...registered, ...funding.keys()])].sort(bySlug).map((company) => {
    const rounds = funding.get(company)
    const valuation = rounds?.valuation
    return {
      company,
      name: nameOf(names, company),
      localName: names.get(company)?.localName ?? null,
      fundingRounds: rounds?.rounds ?? 0,
      fundingTotals: [...(rounds?.totals ?? [])]
        .sort(([a], [b]) => bySlug(a, b))
        .map(([currency, units]) => ({ currency, amount: fromUnits(units) })),
      latestValuation: valuation
        ? {
            value: valuation.value,
            currency: valuation.currency,
            qualifier: valuation.qualifier,
            round: valuation.round,
            effectiveFrom: isoOf(valuation.effectiveAt),
            eventId: valuation.id,
          }
        : null,
    }
  })
}

/** Every round in effect, by company, as GET /v1/funding answers each; `company` alone, when given. */
export function roundsOf(funding: Funding, names: EntityNames, company?: string): FundingRound[] {
  const companies = company === undefined ? [...funding.keys()] : [company]
  return companies.flatMap((slug) =>
    (funding.get(slug)?.closed ?? []).map((r) => ({
      company: slug,
      companyName: nameOf(names, slug),
      round: r.round,
      amount: r.amount ? { ...r.amount } : null,
      valuation: r.valuation ? { ...r.valuation } : null,
      investors: r.investors.map((investor) => ({ investor, name: nameOf(names, investor) })),
      occurredAt: r.occurredAt,
      precision: r.precision,
      effectiveFrom: isoOf(r.effectiveAt),
      eventId: r.id,
    })),
  )
}
