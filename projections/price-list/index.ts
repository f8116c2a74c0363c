import { sql } from 'kysely'
import { catalogue, type MarketEvent, type MarketEventOf } from '../../events/index.js'
import { statusOf } from '../../src/catalogue/catalogue.js'
import { changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { reportedAtSql } from '../../src/time/reported-at.js'
import { priceComparable } from './comparables.js'
import { priceListQueries } from './queries.js'
import type { PricePlan, PricePoint, Tables } from './rows.js'

export const priceListProjection = defineProjection<Tables, MarketEvent>({
  name: 'price-list',
  description: 'Prices in effect per product and component, as of any date',
  tables: {
    price_points:
      changePointTable(`product text not null, component text not null, amount text not null, currency text not null,
      unit text not null, previous_amount text, occurred_at text not null, precision text not null`),
    price_keys: '(product text not null, component text not null, primary key (product, component))',
    price_plans:
      changePointTable(`product text not null, component text not null, amount text not null, currency text not null,
      unit text not null, previous_amount text, occurred_at text not null, precision text not null,
      status text not null`),
  },
  eventTypes: ['price.changed'],
  indexes: [
    'price_points (product, component, effective_from, position)',
    'price_points (event_id)',
    'price_plans (product, effective_from, position)',
    'price_plans (event_id)',
  ],
  async apply(db, events, { marketTz }) {
    const changes = events.flatMap((e) => (e.type === 'price.changed' ? [e] : []))
    const points = changes.flatMap((e) => (statusOf(e) ? [] : [pricePointOf(e, marketTz)]))
    await insertRows(db, 'price_points', points)
    await insertRows(
      db,
      'price_plans',
      changes.flatMap((e) => pricePlanOf(e, marketTz)),
    )
    if (points.length) {
      const keys = JSON.stringify(points.map(({ product, component }) => ({ product, component })))
      await sql`
        insert into price_keys
        select distinct product, component from jsonb_to_recordset(${keys}::jsonb) as k(product text, component text)
        on conflict do nothing
      `.execute(db)
    }
  },
  // The same rows as `apply`, taken from the log inside PostgreSQL: 60 % of the log never has to
  // pass through Node. price.changed is at its first schema version, so its data needs no upcast.
  // A planned or announced change is no price, nor is its previousAmount: it is a plan, kept
  // apart, as by `apply` (the catalogue accepts no other status than those two).
  async applyFromLog(db, { after, upTo }, { marketTz }) {
    const reportedAt = reportedAtSql(sql`e.source->>'publishedAt'`, sql`e.recorded_at`, marketTz)
    const { rows } = await sql<{ applied: number }>`
      with plans as (
        insert into price_plans (product, component, amount, currency, unit, previous_amount, occurred_at,
                                 precision, status, effective_from, recorded_at, retracted_at, position, event_id,
                                 reported_at, retraction_reported_at)
        select e.subject, e.data->>'component', e.data->>'amount', e.data->>'currency', e.data->>'unit',
               e.data->>'previousAmount', e.occurred_at, e.precision, e.data->>'status', e.effective_from,
               e.recorded_at, null, e.position, e.id, ${reportedAt}, null
          from public.events e
         where e.type = 'price.changed' and e.data->>'status' is not null
           and e.position > ${after} and e.position <= ${upTo}
         order by e.position
        returning 1
      ), points as (
        insert into price_points (product, component, amount, currency, unit, previous_amount, occurred_at,
                                  precision, effective_from, recorded_at, retracted_at, position, event_id,
                                  reported_at, retraction_reported_at)
        select e.subject, e.data->>'component', e.data->>'amount', e.data->>'currency', e.data->>'unit',
               e.data->>'previousAmount', e.occurred_at, e.precision, e.effective_from, e.recorded_at, null,
               e.position, e.id, ${reportedAt}, null
          from public.events e
         where e.type = 'price.changed' and e.data->>'status' is null
           and e.position > ${after} and e.position <= ${upTo}
         order by e.position
        returning product, component
      ), keys as (
        insert into price_keys select distinct product, component from points on conflict do nothing
      )
      select (select count(*)::int from points) + (select count(*)::int from plans) as applied
    `.execute(db)
    return rows[0]?.applied ?? 0
  },
  queries: priceListQueries,
  comparables: [priceComparable],
})

if (catalogue.get('price.changed')?.schemaVersion !== 1) {
  throw new Error('price-list reads price.changed data in SQL (applyFromLog): teach it the upcast first')
}

/** A planned or announced change, as a point with its status: shown in the history, never in effect. */
function pricePlanOf(event: MarketEventOf<'price.changed'>, marketTz: string): PricePlan[] {
  const status = statusOf(event)
  return status ? [{ ...pricePointOf(event, marketTz), status }] : []
}

function pricePointOf(event: MarketEventOf<'price.changed'>, marketTz: string): PricePoint {
  const d = event.data
  return {
    product: event.subject,
    component: d.component,
    amount: d.amount,
    currency: d.currency,
    unit: d.unit,
    previous_amount: d.previousAmount ?? null,
    occurred_at: event.occurredAt,
    precision: event.precision,
    ...pointOf(event, marketTz),
  }
}
