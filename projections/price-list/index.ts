import { sql } from 'kysely'
import type { MarketEvent, MarketEventOf } from '../../events/index.js'
import { changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { priceListQueries } from './queries.js'
import type { PricePoint, Tables } from './rows.js'

export const priceListProjection = defineProjection<Tables, MarketEvent>({
  name: 'price-list',
  description: 'Prices in effect per product and component, as of any date',
  tables: {
    price_points:
      changePointTable(`product text not null, component text not null, amount text not null, currency text not null,
      unit text not null, previous_amount text, occurred_at text not null, precision text not null`),
    price_keys: '(product text not null, component text not null, primary key (product, component))',
  },
  eventTypes: ['price.changed'],
  indexes: ['price_points (product, component, effective_from, position)', 'price_points (event_id)'],
  async apply(db, events) {
    const points = events.flatMap((e) => (e.type === 'price.changed' ? [pricePointOf(e)] : []))
    await insertRows(db, 'price_points', points)
    if (points.length) {
      const keys = JSON.stringify(points.map(({ product, component }) => ({ product, component })))
      await sql`
        insert into price_keys
        select distinct product, component from jsonb_to_recordset(${keys}::jsonb) as k(product text, component text)
        on conflict do nothing
      `.execute(db)
    }
  },
  queries: priceListQueries,
})

function pricePointOf(event: MarketEventOf<'price.changed'>): PricePoint {
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
    ...pointOf(event),
  }
}
