import { type Kysely, sql } from 'kysely'
import type { DiffPoint } from '../../src/diff/model.js'
import { perKnowledge } from '../../src/history/points.js'
import { knownBy } from '../../src/projector/change-points.js'
import { entityKnownAt } from '../entities.js'
import { type OwnedProduct, ownedProductOf, type ProductRow } from './market.js'

/**
 * One product's row at many points, one statement per knowledge: `unnest` of the instants, each
 * joined laterally to what `productsAsOf` reads at it (the latest ownership change, the owner's
 * latest launch), in its order.
 */
export function productAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  product: string,
): Promise<OwnedProduct[][]> {
  return perKnowledge(points, async (asOfs, q) => {
    const { rows } = await sql<ProductRow & { n: number }>`
      select i.n::int as n, l.company, l.product, coalesce(ent.name, l.name) as name,
             case when ent.name is null then l.local_name else ent.local_name end as local_name,
             l.category, launch.launched_at as since, l.event_id, launch.event_id as launch_event_id
        from unnest(${asOfs.map((t) => t.toISOString())}::timestamptz[]) with ordinality as i(as_of, n)
       cross join lateral (
          select p.product, p.company, p.name, p.local_name, p.category, p.event_id
            from rm_company_profile.company_products p
           where p.product = ${product} and p.effective_from <= i.as_of and ${knownBy('p', q)}
           order by p.effective_from desc, p.position desc limit 1
        ) l
        left join lateral (
          select p.launched_at, p.event_id from rm_company_profile.company_products p
           where p.product = l.product and p.company = l.company and p.launched_at is not null
             and p.effective_from <= i.as_of and ${knownBy('p', q)}
           order by p.effective_from desc, p.position desc limit 1
        ) launch on true
        left join lateral ${entityKnownAt(sql.ref('l.product'), q)} ent on true
       order by i.n
    `.execute(db)
    const answers: OwnedProduct[][] = asOfs.map(() => [])
    for (const r of rows) answers[r.n - 1]?.push(ownedProductOf(r))
    return answers
  })
}
