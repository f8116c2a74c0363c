import { type Kysely, sql } from 'kysely'
import type { Knowledge } from '../src/projector/change-points.js'
import { isKnownBy, type KnownTimes, knownTimes } from '../src/projector/known-times.js'

interface EntityVersion extends KnownTimes {
  readonly slug: string
  readonly name: string
}

/** Every registration of some slugs recorded by a time, in log order: their names under any knowledge by then. */
export type EntityVersions = ReadonlyMap<string, readonly EntityVersion[]>

/** The entity rows of `slugs` recorded by `upTo`, read once for `namesAsKnown` at many knowledges. */
export async function entityVersions<DB>(
  db: Kysely<DB>,
  slugs: readonly string[],
  upTo: Date,
): Promise<EntityVersions> {
  const { rows } = await sql<EntityVersion>`
    select e.slug, e.name, ${knownTimes('e')}
      from rm_entities.entities e
     where e.slug = any(${[...new Set(slugs)]}::text[]) and e.recorded_at <= ${upTo}
     order by e.position
  `.execute(db)
  const versions = new Map<string, EntityVersion[]>()
  for (const row of rows) versions.set(row.slug, [...(versions.get(row.slug) ?? []), row])
  return versions
}

/**
 * Names as `entityName` (entities.ts) reads them under `knowledge`: the last registration known
 * then, else the slug itself. `versions` must hold every row of the slugs asked, recorded by the
 * knowledge's knownAt.
 */
export function namesAsKnown(versions: EntityVersions, knowledge: Knowledge): (slug: string) => string {
  const names = new Map<string, string>()
  return (slug) => {
    let name = names.get(slug)
    if (name === undefined) {
      name = versions.get(slug)?.findLast((v) => isKnownBy(v, knowledge))?.name ?? slug
      names.set(slug, name)
    }
    return name
  }
}
