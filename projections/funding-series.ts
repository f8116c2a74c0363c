import { type Kysely, sql } from 'kysely'
import { fromUnits, toUnits } from '../src/catalogue/decimal.js'
import { type Knowledge, knownBy } from '../src/projector/change-points.js'

/**
 * What `company` had raised by each of `instants`, per currency: the sum of the amounts of the
 * rounds `fundingRounds` answers there (rounds without an amount add nothing). Summed as
 * PostgreSQL numeric, exact, and written as the catalogue writes decimals.
 */
export async function fundingRaisedSeries<DB>(
  db: Kysely<DB>,
  key: { readonly company: string },
  instants: readonly Date[],
  knowledge: Knowledge,
): Promise<Array<Record<string, string>>> {
  const { rows } = await sql<{ i: string; currency: string; raised: string }>`
    select t.i, f.amount_currency as currency, sum(f.amount_value::numeric)::text as raised
      from unnest(${instants.map((i) => i.toISOString())}::timestamptz[]) with ordinality as t(at, i)
      join rm_funding.funding_rounds f
        on f.company = ${key.company} and f.effective_from <= t.at and ${knownBy('f', knowledge)}
       and f.amount_value is not null and f.amount_currency is not null
     group by t.i, f.amount_currency
     order by t.i, f.amount_currency collate "C"
  `.execute(db)
  const points: Array<Record<string, string>> = instants.map(() => ({}))
  for (const r of rows) {
    const point = points[Number(r.i) - 1]
    if (point) point[r.currency] = fromUnits(toUnits(r.raised))
  }
  return points
}
