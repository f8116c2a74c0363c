import { type Kysely, sql } from 'kysely'
import { knownBy } from '../../src/projector/change-points.js'
import { entityKnownAt } from '../entities.js'
import type { FundingRound } from '../funding.js'
import { latestValuationOf } from './read.js'
import type { CompanyProduct, LatestValuation } from './schemas.js'

/** Products and valuations across the market, each as a company profile answers it. */

export interface MarketQuery {
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date | undefined
  /** Only this company's. */
  readonly company?: string | undefined
  /** Only this product. */
  readonly product?: string | undefined
}

/** A product with the company that owns it and the events behind the row (its ownership, its launch). */
export interface OwnedProduct {
  readonly company: string
  readonly product: CompanyProduct
  readonly eventIds: readonly string[]
}

export interface ProductRow {
  company: string
  product: string
  name: string
  local_name: string | null
  category: string | null
  since: Date | null
  event_id: string
  launch_event_id: string | null
}

/**
 * Per product, the company its latest ownership change at `asOf` names (a product may change
 * hands); `since` is that company's latest launch of it by then. With `company`, only products it
 * ever launched or was registered with are looked at: a small set, found by index.
 */
export async function productsAsOf<DB>(db: Kysely<DB>, q: MarketQuery): Promise<OwnedProduct[]> {
  const company = q.company ?? null
  const product = q.product ?? null
  const { rows } = await sql<ProductRow>`
    with latest as (
      select distinct on (p.product) p.product, p.company, p.name, p.local_name, p.category, p.event_id
        from rm_company_profile.company_products p
       where (${company}::text is null
              or p.product in (select c.product from rm_company_profile.company_products c where c.company = ${company}))
         and (${product}::text is null or p.product = ${product})
         and p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
       order by p.product, p.effective_from desc, p.position desc
    )
    select l.company, l.product, coalesce(ent.name, l.name) as name,
           case when ent.name is null then l.local_name else ent.local_name end as local_name,
           l.category, launch.launched_at as since, l.event_id, launch.event_id as launch_event_id
      from latest l
      left join lateral (
        select p.launched_at, p.event_id from rm_company_profile.company_products p
         where p.product = l.product and p.company = l.company and p.launched_at is not null
           and p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
         order by p.effective_from desc, p.position desc limit 1
      ) launch on true
      left join lateral ${entityKnownAt(sql.ref('l.product'), q)} ent on true
     where (${company}::text is null or l.company = ${company})
     order by l.product
  `.execute(db)
  return rows.map(ownedProductOf)
}

export function ownedProductOf(r: ProductRow): OwnedProduct {
  return {
    company: r.company,
    product: {
      product: r.product,
      name: r.name,
      localName: r.local_name,
      category: r.category,
      since: r.since?.toISOString() ?? null,
    },
    eventIds:
      r.launch_event_id && r.launch_event_id !== r.event_id ? [r.event_id, r.launch_event_id] : [r.event_id],
  }
}

/**
 * Per company with a valued round by `asOf`, its profile's `latestValuation`, by company: the
 * valued round (value, currency and qualifier all given) with the latest effectiveFrom, then the
 * last recorded, as `latestValuationOf` picks it from the rounds in valid-time order.
 */
export async function valuationsAsOf<DB>(db: Kysely<DB>, q: MarketQuery): Promise<CompanyValuation[]> {
  const company = q.company ?? null
  // Each company's latest valued round through its index, rather than every round by asOf sorted.
  const { rows } = await sql<ValuedRoundRow>`
    select v.* from (
      select distinct f.company from rm_funding.funding_rounds f
       where (${company}::text is null or f.company = ${company})
    ) c
    cross join lateral (
      select f.company, f.round, f.valuation_value, f.valuation_currency, f.valuation_qualifier,
             f.effective_from, f.event_id
        from rm_funding.funding_rounds f
       where f.company = c.company and f.effective_from <= ${q.asOf} and ${knownBy('f', q)}
         and f.valuation_value is not null and f.valuation_currency is not null and f.valuation_qualifier is not null
       order by f.effective_from desc, f.position desc limit 1
    ) v
     order by v.company
  `.execute(db)
  return rows.map((r) => ({
    company: r.company,
    valuation: {
      value: r.valuation_value,
      currency: r.valuation_currency,
      qualifier: r.valuation_qualifier,
      round: r.round,
      effectiveFrom: r.effective_from.toISOString(),
      eventId: r.event_id,
    },
  }))
}

interface ValuedRoundRow {
  company: string
  round: string
  valuation_value: string
  valuation_currency: string
  valuation_qualifier: string
  effective_from: Date
  event_id: string
}

export interface CompanyValuation {
  readonly company: string
  readonly valuation: LatestValuation
}

/** Per company of these rounds (in valid-time order) with a valued one, its latest valuation. */
export function valuationsOf(rounds: readonly FundingRound[]): CompanyValuation[] {
  const byCompany = new Map<string, FundingRound[]>()
  for (const round of rounds) {
    const ofCompany = byCompany.get(round.company)
    if (ofCompany) ofCompany.push(round)
    else byCompany.set(round.company, [round])
  }
  return [...byCompany].flatMap(([company, ofCompany]) => {
    const valuation = latestValuationOf(ofCompany)
    return valuation ? [{ company, valuation }] : []
  })
}
