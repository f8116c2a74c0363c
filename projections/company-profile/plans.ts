import { type Kysely, sql } from 'kysely'
import { catalogue, type MarketEvent } from '../../events/index.js'
import { statusOf } from '../../src/catalogue/catalogue.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import type { FactStatus } from '../../src/catalogue/fields.js'
import { type ChangePoint, knownBy, pointOf } from '../../src/projector/change-points.js'
import type { Precision } from '../../src/time/market-date.js'
import { entityKnownAt, entityNamesKnownAt, nameLookupOf } from '../entities.js'
import type { CompanyPlan } from './schemas.js'

/**
 * The planned and announced facts that concern a company, which no in-effect answer counts: one
 * row per company a fact names (a launch's company, an alliance's conveners and members, a
 * partnership's parties, both ends of a relation), and for a fact about a product (its update)
 * a row with no company, which is the company's that owns the product. Planned price changes are
 * the price list's (`price_plans`), read from there.
 */
export interface CompanyPlanRow extends ChangePoint {
  company: string | null
  product: string | null
  type: string
  subject: string
  status: FactStatus
  occurred_at: string
  precision: string
  data: unknown
}

export const companyPlansTable = `company text, product text, type text not null, subject text not null,
  status text not null, occurred_at text not null, precision text not null, data jsonb not null`

export function companyPlanRowsOf(event: MarketEvent, marketTz: string): CompanyPlanRow[] {
  const status = statusOf(event)
  if (!status) return []
  const row = (company: string | null, product: string | null): CompanyPlanRow => ({
    company,
    product,
    type: event.type,
    subject: event.subject,
    status,
    occurred_at: event.occurredAt,
    precision: event.precision,
    data: event.data,
    ...pointOf(event, marketTz),
  })
  const companies = (slugs: readonly string[]) => [...new Set(slugs)].map((slug) => row(slug, null))
  switch (event.type) {
    case 'product.launched':
      return [row(event.data.company, event.subject)]
    case 'product.updated':
      return [row(null, event.subject)]
    case 'alliance.formed':
      return companies([...event.data.conveners, ...event.data.members])
    case 'partnership.announced':
      return companies(event.data.parties)
    case 'relation.established':
      return companies([event.subject, event.data.to])
    default:
      return []
  }
}

interface PlanRow {
  type: string
  subject: string
  status: FactStatus
  occurred_at: string
  precision: Precision
  data: unknown
  effective_from: Date
  recorded_at: Date
  position: string
  event_id: string
}

/**
 * The company's plans stated by `asOf` (a plan's occurredAt is when it was stated) and known at
 * `knownAt`, in valid-time order; a retracted plan is gone from its retraction on. A product's
 * plans are its owner's, as the entities read model names the owner at `knownAt`.
 */
export async function plansOf<DB>(
  db: Kysely<DB>,
  q: { company: string; asOf: Date; knownAt: Date; reportedBy?: Date },
): Promise<CompanyPlan[]> {
  // The products the company owns at knownAt, from those it ever launched, was registered with,
  // or planned: a small set, found by index, rather than every plan's owner looked up.
  const { rows } = await sql<PlanRow>`
    with candidates as (
      select c.product from rm_company_profile.company_products c where c.company = ${q.company}
      union
      select p.product from rm_company_profile.company_plans p
       where p.company = ${q.company} and p.product is not null
    ), products as (
      select c.product from candidates c
       where (select x.owner from ${entityKnownAt(sql.ref('c.product'), q)} as x) = ${q.company}
    )
    select p.type, p.subject, p.status, p.occurred_at, p.precision, p.data, p.effective_from, p.recorded_at,
           p.position, p.event_id
      from rm_company_profile.company_plans p
     where (p.company = ${q.company} or (p.company is null and p.product in (select product from products)))
       and p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
    union all
    select 'price.changed', pp.product, pp.status, pp.occurred_at, pp.precision,
           jsonb_strip_nulls(jsonb_build_object('component', pp.component, 'amount', pp.amount,
             'currency', pp.currency, 'unit', pp.unit, 'previousAmount', pp.previous_amount, 'status', pp.status)),
           pp.effective_from, pp.recorded_at, pp.position, pp.event_id
      from rm_price_list.price_plans pp
     where pp.product in (select product from products)
       and pp.effective_from <= ${q.asOf} and ${knownBy('pp', q)}
     order by effective_from, position
  `.execute(db)
  if (rows.length === 0) return []
  const names = nameLookupOf(await entityNamesKnownAt(db, q))
  return rows.map((r) => {
    const event: RecordedEvent = {
      id: r.event_id,
      type: r.type,
      subject: r.subject,
      occurredAt: r.occurred_at,
      precision: r.precision,
      effectiveFrom: r.effective_from.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
      position: Number(r.position),
      version: 0,
      data: r.data,
    }
    return {
      type: event.type,
      subject: event.subject,
      status: r.status,
      occurredAt: event.occurredAt,
      effectiveFrom: event.effectiveFrom,
      summary: catalogue.summary(event, names),
      eventId: event.id,
    }
  })
}
