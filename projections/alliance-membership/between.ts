import { type Kysely, type RawBuilder, sql } from 'kysely'
import { learnedWithin, spansOf, within } from '../../src/diff/between.js'
import type { DiffPoints } from '../../src/diff/model.js'
import type { MemberFilter } from './read.js'

/**
 * The members whose rows can differ between a diff's points A and B (M lies within them on both
 * axes). A member's row at a point comes from its alliance's formation in effect and its own
 * joins and departures (those in effect by its asOf and known then), and reads its name as known;
 * so a member outside these is the same at A and B:
 * - every member of an alliance one of whose formations took effect, or was recorded or
 *   retracted, between the two points;
 * - a member one of whose changes did;
 * - a member whose name was registered, or its registration retracted, between the two knownAt.
 */
export async function membersChangedBetween<DB>(db: Kysely<DB>, points: DiffPoints): Promise<MemberFilter> {
  const { asOf, knownAt } = spansOf(points)
  const changed = (alias: string): RawBuilder<unknown>[] => [
    ...(asOf ? [within(`${alias}.effective_from`, asOf)] : []),
    ...(knownAt ? [learnedWithin(alias, knownAt)] : []),
  ]
  const formations = changed('a')
  const changes = changed('m')
  if (changes.length === 0) return { alliances: [], pairs: [] }
  const { rows: alliances } = await sql<{ alliance: string }>`
    select distinct a.alliance from rm_alliance_membership.alliances a where ${sql.join(formations, sql` or `)}
  `.execute(db)
  const renamed = knownAt
    ? sql`or m.member in (select e.slug from rm_entities.entities e where ${learnedWithin('e', knownAt)})`
    : sql``
  const { rows: pairs } = await sql<{ alliance: string; member: string }>`
    select distinct m.alliance, m.member from rm_alliance_membership.membership_changes m
     where ${sql.join(changes, sql` or `)} ${renamed}
  `.execute(db)
  return { alliances: alliances.map((a) => a.alliance), pairs }
}
