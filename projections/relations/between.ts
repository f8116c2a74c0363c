import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { DiffPoints } from '../../src/diff/model.js'
import type { RelationKey } from './read.js'

/**
 * The relations whose rows can differ between a diff's points A and B (M lies within them on both
 * axes). A relation's row at a point comes from its own changes alone (those in effect by its
 * asOf and known then) and reads its ends' names as known; so a relation outside these is the
 * same at A and B:
 * - one of its changes took effect between the two asOf;
 * - one of its changes was recorded or retracted between the two knownAt (`reportedBy` is the
 *   same for both points, so `knownBy` turns on nothing else);
 * - one of its ends was registered, or its registration retracted, between the two knownAt.
 */
export async function relationsChangedBetween<DB>(
  db: Kysely<DB>,
  { from, to }: DiffPoints,
  subject: string | undefined,
): Promise<RelationKey[]> {
  const [asOfLow, asOfHigh] = ordered(from.asOf, to.asOf)
  const [knownLow, knownHigh] = ordered(from.knownAt, to.knownAt)
  const end = subject ?? null
  const ofSubject = sql`(${end}::text is null or c.from_entity = ${end} or c.to_entity = ${end})`
  const between = (column: string) =>
    sql`(${sql.ref(column)} > ${knownLow} and ${sql.ref(column)} <= ${knownHigh})`
  const parts: RawBuilder<unknown>[] = []
  if (asOfLow < asOfHigh)
    parts.push(sql`
      select c.from_entity, c.kind, c.to_entity from rm_relations.relation_changes c
       where ${ofSubject} and c.effective_from > ${asOfLow} and c.effective_from <= ${asOfHigh}`)
  if (knownLow < knownHigh)
    parts.push(
      sql`
      select c.from_entity, c.kind, c.to_entity from rm_relations.relation_changes c
       where ${ofSubject} and (${between('c.recorded_at')} or ${between('c.retracted_at')})`,
      sql`
      select c.from_entity, c.kind, c.to_entity from rm_relations.relation_changes c
        join (select array_agg(distinct e.slug) as slugs from rm_entities.entities e
               where ${between('e.recorded_at')} or ${between('e.retracted_at')}) renamed
          on c.from_entity = any(renamed.slugs) or c.to_entity = any(renamed.slugs)
       where ${ofSubject}`,
    )
  if (parts.length === 0) return []
  const { rows } = await sql<{ from_entity: string; kind: string; to_entity: string }>`${sql.join(
    parts,
    sql` union `,
  )}`.execute(db)
  return rows.map((r) => ({ from: r.from_entity, kind: r.kind, to: r.to_entity }))
}

function ordered(a: Date, b: Date): [Date, Date] {
  return a <= b ? [a, b] : [b, a]
}
