import type { MarketEvent } from '../../events/index.js'
import { statusOf } from '../../src/catalogue/catalogue.js'
import { changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { productComparable, valuationComparable } from './comparables.js'
import { companyPlanRowsOf, companyPlansTable } from './plans.js'
import { getCompanyProfile } from './queries.js'
import type { CompanyProductRow, CompanyRelationRow, RelationKind, Tables } from './rows.js'

export const companyProfileProjection = defineProjection<Tables, MarketEvent>({
  name: 'company-profile',
  description: "Companies' products, partnerships, stakes and plans, as of any date",
  tables: {
    company_products:
      changePointTable(`company text not null, product text not null, name text not null, local_name text,
      category text, launched_at timestamptz`),
    company_relations:
      changePointTable(`company text not null, kind text not null, counterpart text, parties text[], name text,
      summary text`),
    company_plans: changePointTable(companyPlansTable),
  },
  // product.updated, alliance.formed and relation.established only for their plans.
  eventTypes: [
    'product.launched',
    'entity.registered',
    'partnership.announced',
    'stake.acquired',
    'product.updated',
    'alliance.formed',
    'relation.established',
  ],
  indexes: [
    'company_products (company)',
    'company_products (product, effective_from, position)',
    'company_products (event_id)',
    'company_relations (company, effective_from, position)',
    'company_relations (event_id)',
    'company_plans (company)',
    'company_plans (product)',
    'company_plans (event_id)',
  ],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'company_products',
      events.flatMap((e) => companyProductRowsOf(e, marketTz)),
    )
    await insertRows(
      db,
      'company_relations',
      events.flatMap((e) => companyRelationRowsOf(e, marketTz)),
    )
    await insertRows(
      db,
      'company_plans',
      events.flatMap((e) => companyPlanRowsOf(e, marketTz)),
    )
  },
  queries: [getCompanyProfile],
  comparables: [valuationComparable, productComparable],
})

export function companyProductRowsOf(event: MarketEvent, marketTz: string): CompanyProductRow[] {
  if (event.type !== 'product.launched' && event.type !== 'entity.registered') return []
  // A planned launch is no product of the company yet: it is one of its plans.
  if (statusOf(event)) return []
  const d = event.data
  const row = (company: string, launchedAt: string | null): CompanyProductRow => ({
    company,
    product: event.subject,
    name: d.name,
    local_name: d.localName ?? null,
    category: d.category ?? null,
    launched_at: launchedAt,
    ...pointOf(event, marketTz),
  })
  if (event.type === 'product.launched') return [row(event.data.company, event.effectiveFrom)]
  if (event.data.kind === 'product' && event.data.owner) return [row(event.data.owner, null)]
  return []
}

export function companyRelationRowsOf(event: MarketEvent, marketTz: string): CompanyRelationRow[] {
  const row = (
    company: string,
    kind: RelationKind,
    extra: Partial<CompanyRelationRow>,
  ): CompanyRelationRow => ({
    company,
    kind,
    counterpart: null,
    parties: null,
    name: null,
    summary: null,
    ...pointOf(event, marketTz),
    ...extra,
  })
  if (event.type === 'partnership.announced' && !statusOf(event)) {
    const d = event.data
    const extra = { parties: d.parties, name: d.name ?? null, summary: d.summary }
    return d.parties.map((party) => row(party, 'partnership', extra))
  }
  if (event.type === 'stake.acquired') {
    const d = event.data
    const summary = d.summary ?? null
    return [
      row(event.subject, 'stake-held', { counterpart: d.company, summary }),
      row(d.company, 'stake-received', { counterpart: event.subject, summary }),
    ]
  }
  return []
}
