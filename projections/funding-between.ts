import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { DiffPoints } from '../src/diff/model.js'

/**
 * The events of the rounds whose rows can differ between a diff's points A and B (M lies within
 * them on both axes). A round's row is in a state when it took effect by its asOf and is known
 * then, and it reads its company's and investors' names as known; so a round outside these is
 * the same at A and B:
 * - it took effect between the two asOf (by index on effectiveFrom);
 * - it was recorded or retracted between the two knownAt: `knownBy` turns on nothing else that
 *   differs between the points, `reportedBy` being the same for both;
 * - a name it reads was registered, or its registration retracted, between the two knownAt.
 */
export async function roundsChangedBetween<DB>(
  db: Kysely<DB>,
  { from, to }: DiffPoints,
  company: string | undefined,
): Promise<string[]> {
  const [asOfLow, asOfHigh] = ordered(from.asOf, to.asOf)
  const [knownLow, knownHigh] = ordered(from.knownAt, to.knownAt)
  const ofCompany = sql`(${company ?? null}::text is null or f.company = ${company ?? null})`
  const between = (column: string) =>
    sql`(${sql.ref(column)} > ${knownLow} and ${sql.ref(column)} <= ${knownHigh})`
  const parts: RawBuilder<unknown>[] = []
  if (asOfLow < asOfHigh)
    parts.push(sql`
      select f.event_id from rm_funding.funding_rounds f
       where ${ofCompany} and f.effective_from > ${asOfLow} and f.effective_from <= ${asOfHigh}`)
  if (knownLow < knownHigh)
    parts.push(
      sql`
      select f.event_id from rm_funding.funding_rounds f
       where ${ofCompany} and (${between('f.recorded_at')} or ${between('f.retracted_at')})`,
      sql`
      select f.event_id from rm_funding.funding_rounds f
        join (select array_agg(distinct e.slug) as slugs from rm_entities.entities e
               where ${between('e.recorded_at')} or ${between('e.retracted_at')}) renamed
          on f.company = any(renamed.slugs) or f.investors && renamed.slugs
       where ${ofCompany}`,
    )
  if (parts.length === 0) return []
  const { rows } = await sql<{ event_id: string }>`${sql.join(parts, sql` union `)}`.execute(db)
  return rows.map((r) => r.event_id)
}

function ordered(a: Date, b: Date): [Date, Date] {
  return a <= b ? [a, b] : [b, a]
}
