import { type Kysely, type RawBuilder, sql } from 'kysely'
import { learnedWithin, spansOf, within } from '../src/diff/between.js'
import type { DiffPoints } from '../src/diff/model.js'

/**
 * The events of the rounds whose rows can differ between a diff's points A and B. A round's row is
 * in a state when it took effect by its asOf and is known then, and it reads its company's and
 * investors' names as known; so a round outside these is the same at A and B:
 * - it took effect between the two asOf (by index on effectiveFrom);
 * - it was recorded or retracted between the two knownAt;
 * - a name it reads was registered, or its registration retracted, between the two knownAt.
 */
export async function roundsChangedBetween<DB>(
  db: Kysely<DB>,
  points: DiffPoints,
  company: string | undefined,
): Promise<string[]> {
  const { asOf, knownAt } = spansOf(points)
  const ofCompany = sql`(${company ?? null}::text is null or f.company = ${company ?? null})`
  const parts: RawBuilder<unknown>[] = []
  if (asOf)
    parts.push(sql`
      select f.event_id from rm_funding.funding_rounds f
       where ${ofCompany} and ${within('f.effective_from', asOf)}`)
  if (knownAt)
    parts.push(
      sql`
      select f.event_id from rm_funding.funding_rounds f
       where ${ofCompany} and ${learnedWithin('f', knownAt)}`,
      sql`
      select f.event_id from rm_funding.funding_rounds f
        join (select array_agg(distinct e.slug) as slugs from rm_entities.entities e
               where ${learnedWithin('e', knownAt)}) renamed
          on f.company = any(renamed.slugs) or f.investors && renamed.slugs
       where ${ofCompany}`,
    )
  if (parts.length === 0) return []
  const { rows } = await sql<{ event_id: string }>`${sql.join(parts, sql` union `)}`.execute(db)
  return rows.map((r) => r.event_id)
}
