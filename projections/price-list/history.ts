import { type Kysely, sql } from 'kysely'
import type { DiffPoint } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { knownBy } from '../../src/projector/change-points.js'
import { entityKnownAt } from '../entities.js'
import { type PriceRow, priceInEffect } from './read.js'
import type { PriceInEffect } from './schemas.js'

/**
 * One product's prices at many points, one statement per knowledge: `unnest` of the instants,
 * each joined laterally to what `priceListAsOf` reads at it (the latest change by then, and the
 * next one's previousAmount), in its order.
 */
export function productPricesAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  product: string,
): Promise<PriceInEffect[][]> {
  return perKnowledge(points, async (asOfs, q) => {
    const { rows } = await sql<PriceRow & { n: number }>`
      select i.n::int as n, k.product, k.component, ent.name as product_name, ent.owner as company,
             cur.amount, cur.currency, cur.unit, cur.effective_from, cur.event_id,
             nxt.previous_amount as next_previous_amount, nxt.currency as next_currency,
             nxt.unit as next_unit, nxt.event_id as next_event_id
        from unnest(${asOfs.map((t) => t.toISOString())}::timestamptz[]) with ordinality as i(as_of, n)
       cross join rm_price_list.price_keys k
        left join lateral (
          select p.amount, p.currency, p.unit, p.effective_from, p.event_id
            from rm_price_list.price_points p
           where p.product = k.product and p.component = k.component
             and p.effective_from <= i.as_of and ${knownBy('p', q)}
           order by p.effective_from desc, p.position desc limit 1
        ) cur on true
        left join lateral (
          select p.previous_amount, p.currency, p.unit, p.event_id
            from rm_price_list.price_points p
           where p.product = k.product and p.component = k.component
             and p.effective_from > i.as_of and ${knownBy('p', q)}
           order by p.effective_from asc, p.position asc limit 1
        ) nxt on true
        left join lateral ${entityKnownAt(sql.ref('k.product'), q)} ent on true
       where k.product = ${product} and (cur.amount is not null or nxt.previous_amount is not null)
       order by i.n, k.product, k.component
    `.execute(db)
    const answers: PriceInEffect[][] = asOfs.map(() => [])
    for (const r of rows) answers[r.n - 1]?.push(priceInEffect(r))
    return answers
  })
}
