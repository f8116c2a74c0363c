import { type Kysely, sql } from 'kysely'
import type { FactStatus } from '../../src/catalogue/fields.js'
import { type Knowledge, knownBy } from '../../src/projector/change-points.js'
import { entityKnownAt } from '../entities.js'
import type { PricePoint } from './rows.js'
import type { PriceChange, PriceInEffect } from './schemas.js'

export interface PriceRow {
  product: string
  component: string
  product_name: string | null
  company: string | null
  amount: string | null
  currency: string | null
  unit: string | null
  effective_from: Date | null
  event_id: string | null
  next_previous_amount: string | null
  next_currency: string | null
  next_unit: string | null
  next_event_id: string | null
}

/**
 * One row per (product, component) in effect at `asOf`, as known at `knownAt`: the latest
 * change at or before `asOf`, unless the next change after it says the price before it was
 * different (its previousAmount), which is then the better-informed answer.
 */
export async function priceListAsOf<DB>(
  db: Kysely<DB>,
  q: { asOf: Date; knownAt: Date; reportedBy?: Date; product?: string; company?: string },
): Promise<PriceInEffect[]> {
  const { rows } = await sql<PriceRow>`
    select k.product, k.component, ent.name as product_name, ent.owner as company,
           cur.amount, cur.currency, cur.unit, cur.effective_from, cur.event_id,
           nxt.previous_amount as next_previous_amount, nxt.currency as next_currency,
           nxt.unit as next_unit, nxt.event_id as next_event_id
      from rm_price_list.price_keys k
      left join lateral (
        select p.amount, p.currency, p.unit, p.effective_from, p.event_id
          from rm_price_list.price_points p
         where p.product = k.product and p.component = k.component
           and p.effective_from <= ${q.asOf} and ${knownBy('p', q)}
         order by p.effective_from desc, p.position desc limit 1
      ) cur on true
      left join lateral (
        select p.previous_amount, p.currency, p.unit, p.event_id
          from rm_price_list.price_points p
         where p.product = k.product and p.component = k.component
           and p.effective_from > ${q.asOf} and ${knownBy('p', q)}
         order by p.effective_from asc, p.position asc limit 1
      ) nxt on true
      left join lateral ${entityKnownAt(sql.ref('k.product'), q)} ent on true
     where (cur.amount is not null or nxt.previous_amount is not null)
       and (${q.product ?? null}::text is null or k.product = ${q.product ?? null})
       and (${q.company ?? null}::text is null or ent.owner = ${q.company ?? null})
     order by k.product, k.component
  `.execute(db)
  return rows.map(priceInEffect)
}

/**
 * Whether the price in effect is the next change's previousAmount rather than the latest change's
 * amount: when the next change says the price before it was something else, it is better informed.
 */
export function previousAmountWins(amount: string | null, nextPreviousAmount: string | null): boolean {
  return nextPreviousAmount !== null && (amount === null || amount !== nextPreviousAmount)
}

export function priceInEffect(r: PriceRow): PriceInEffect {
  const base = {
    product: r.product,
    productName: r.product_name ?? r.product,
    company: r.company,
    component: r.component,
  }
  if (previousAmountWins(r.amount, r.next_previous_amount)) {
    return {
      ...base,
      amount: r.next_previous_amount as string,
      currency: r.next_currency as string,
      unit: r.next_unit as string,
      effectiveFrom: null,
      eventId: r.next_event_id as string,
    }
  }
  return {
    ...base,
    amount: r.amount as string,
    currency: r.currency as string,
    unit: r.unit as string,
    effectiveFrom: r.effective_from?.toISOString() ?? null,
    eventId: r.event_id as string,
  }
}

/**
 * A product's price changes in valid-time order, as known at `knownAt`, with its planned and
 * announced changes among them, marked by their status.
 */
export async function priceHistory<DB>(
  db: Kysely<DB>,
  product: string,
  at: Date | Knowledge,
): Promise<PriceChange[]> {
  const { rows } = await sql<
    PricePoint & { effective_from: Date; recorded_at: Date; status: FactStatus | null }
  >`
    select p.component, p.amount, p.previous_amount, p.currency, p.unit, p.occurred_at, p.precision,
           p.effective_from, p.recorded_at, p.event_id, p.position, null::text as status
      from rm_price_list.price_points p
     where p.product = ${product} and ${knownBy('p', at)}
    union all
    select p.component, p.amount, p.previous_amount, p.currency, p.unit, p.occurred_at, p.precision,
           p.effective_from, p.recorded_at, p.event_id, p.position, p.status
      from rm_price_list.price_plans p
     where p.product = ${product} and ${knownBy('p', at)}
     order by effective_from, position
  `.execute(db)
  return rows.map((r) => ({
    component: r.component,
    amount: r.amount,
    previousAmount: r.previous_amount,
    currency: r.currency,
    unit: r.unit,
    occurredAt: r.occurred_at,
    precision: r.precision,
    effectiveFrom: r.effective_from.toISOString(),
    recordedAt: r.recorded_at.toISOString(),
    eventId: r.event_id,
    position: Number(r.position),
    status: r.status,
  }))
}
