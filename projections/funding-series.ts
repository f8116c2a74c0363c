import { type Kysely, sql } from 'kysely'
import { fromUnits, toUnits } from '../src/catalogue/decimal.js'
import { type Knowledge, knownBy } from '../src/projector/change-points.js'

/**
 * What `company` had raised by each of `instants`, per currency: the sum of the amounts of the
 * rounds `fundingRounds` answers there (rounds without an amount add nothing). One read of the
 * company's known rounds by the last instant, each with the running total of its currency in
 * valid-time order (PostgreSQL numeric, exact); the total at an instant is that of the last round
 * in effect by then, written as the catalogue writes decimals.
 */
export async function fundingRaisedSeries<DB>(
  db: Kysely<DB>,
  key: { readonly company: string },
  instants: readonly Date[],
  knowledge: Knowledge,
): Promise<Array<Record<string, string>>> {
  if (instants.length === 0) return []
  const last = new Date(Math.max(...instants.map((t) => t.getTime())))
  const { rows } = await sql<{ currency: string; effective_from: Date; raised: string }>`
    select f.amount_currency as currency, f.effective_from,
           sum(f.amount_value::numeric) over (
             partition by f.amount_currency order by f.effective_from, f.position rows unbounded preceding
           )::text as raised
      from rm_funding.funding_rounds f
     where f.company = ${key.company} and f.effective_from <= ${last} and ${knownBy('f', knowledge)}
       and f.amount_value is not null and f.amount_currency is not null
     order by f.effective_from, f.position
  `.execute(db)
  const order = instants
    .map((_, i) => i)
    .sort((a, b) => (instants[a] as Date).getTime() - (instants[b] as Date).getTime())
  const points: Array<Record<string, string>> = instants.map(() => ({}))
  const raised = new Map<string, string>()
  let next = 0
  for (const i of order) {
    const at = (instants[i] as Date).getTime()
    for (
      ;
      next < rows.length && (rows[next] as (typeof rows)[number]).effective_from.getTime() <= at;
      next++
    ) {
      const row = rows[next] as (typeof rows)[number]
      raised.set(row.currency, row.raised)
    }
    points[i] = Object.fromEntries(
      [...raised]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([c, v]) => [c, fromUnits(toUnits(v))]),
    )
  }
  return points
}
