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

interface CompanyFunding {
  rounds: number
  readonly totals: Map<string, bigint>
  valuation: Valuation | null
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
    }),
  )
  company.rounds++
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
