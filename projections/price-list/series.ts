import { type Kysely, sql } from 'kysely'
import { type Knowledge, knownBy } from '../../src/projector/change-points.js'
import { previousAmountWins } from './read.js'

/**
 * The amount of one product's component in effect at each of `instants`, as `priceListAsOf`
 * answers it there (the next change's previousAmount included), or null where there is none: one
 * statement for all the instants, each a pair of index probes.
 */
export async function priceSeries<DB>(
  db: Kysely<DB>,
  key: { readonly product: string; readonly component: string },
  instants: readonly Date[],
  knowledge: Knowledge,
): Promise<Array<string | null>> {
  const { rows } = await sql<{ amount: string | null; next_previous_amount: string | null }>`
    select cur.amount, nxt.previous_amount as next_previous_amount
      from unnest(${instants.map((i) => i.toISOString())}::timestamptz[]) with ordinality as t(at, i)
      left join lateral (
        select p.amount
          from rm_price_list.price_points p
         where p.product = ${key.product} and p.component = ${key.component}
           and p.effective_from <= t.at and ${knownBy('p', knowledge)}
         order by p.effective_from desc, p.position desc limit 1
      ) cur on true
      left join lateral (
        select p.previous_amount
          from rm_price_list.price_points p
         where p.product = ${key.product} and p.component = ${key.component}
           and p.effective_from > t.at and ${knownBy('p', knowledge)}
         order by p.effective_from asc, p.position asc limit 1
      ) nxt on true
     order by t.i
  `.execute(db)
  return rows.map((r) =>
    previousAmountWins(r.amount, r.next_previous_amount) ? r.next_previous_amount : r.amount,
  )
}
