import { type Kysely, type RawBuilder, sql } from 'kysely'
import { learnedWithin, spansOf, within } from '../../src/diff/between.js'
import type { DiffPoints } from '../../src/diff/model.js'
import type { RelationKey } from './read.js'

/**
 * The relations whose rows can differ between a diff's points A and B. A relation's row at a point
 * comes from its own changes alone (those in effect by its asOf and known then) and reads its
 * ends' names as known; so a relation outside these is the same at A and B:
 * - one of its changes took effect between the two asOf;
 * - one of its changes was recorded or retracted between the two knownAt;
 * - one of its ends was registered, or its registration retracted, between the two knownAt.
 */
export async function relationsChangedBetween<DB>(
  db: Kysely<DB>,
  points: DiffPoints,
  subject: string | undefined,
): Promise<RelationKey[]> {
  const { asOf, knownAt } = spansOf(points)
  const end = subject ?? null
  const ofSubject = sql`(${end}::text is null or c.from_entity = ${end} or c.to_entity = ${end})`
  const parts: RawBuilder<unknown>[] = []
  if (asOf)
    parts.push(sql`
      select c.from_entity, c.kind, c.to_entity from rm_relations.relation_changes c
       where ${ofSubject} and ${within('c.effective_from', asOf)}`)
  if (knownAt)
    parts.push(
      sql`
      select c.from_entity, c.kind, c.to_entity from rm_relations.relation_changes c
       where ${ofSubject} and ${learnedWithin('c', knownAt)}`,
      sql`
      select c.from_entity, c.kind, c.to_entity from rm_relations.relation_changes c
        join (select array_agg(distinct e.slug) as slugs from rm_entities.entities e
               where ${learnedWithin('e', knownAt)}) renamed
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
