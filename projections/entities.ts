import { type Kysely, type RawBuilder, sql } from 'kysely'
import { type Static, Type } from 'typebox'
import { catalogue, type MarketEvent } from '../events/index.js'
import type { NameLookup } from '../src/catalogue/event-type.js'
import {
  type ChangePoint,
  changePointTable,
  insertRows,
  type Knowledge,
  knownBy,
  pointOf,
} from '../src/projector/change-points.js'
import { defineProjection } from '../src/projector/projection.js'
import { Instant, NullableString } from '../src/queries/answer-fields.js'
import { knownAtOnly } from '../src/queries/parameters.js'
import { defineQuery } from '../src/queries/query.js'

/**
 * Who is who: the name, kind and owner of every entity, from entity.registered,
 * product.launched and alliance.formed. Names are identities, not market states: queries take
 * the latest known at `knownAt`, whatever the valid time asked about.
 */
interface EntityRow extends ChangePoint {
  slug: string
  kind: string
  name: string
  local_name: string | null
  owner: string | null
  category: string | null
}

interface Tables {
  entities: EntityRow
}

function entityRowOf(event: MarketEvent, marketTz: string): EntityRow[] {
  const row = (
    kind: string,
    name: { name: string; localName?: string },
    extra: Partial<EntityRow>,
  ): EntityRow => ({
    slug: event.subject,
    kind,
    name: name.name,
    local_name: name.localName ?? null,
    owner: null,
    category: null,
    ...pointOf(event, marketTz),
    ...extra,
  })
  switch (event.type) {
    case 'entity.registered': {
      const { data } = event
      return [row(data.kind, data, { owner: data.owner ?? null, category: data.category ?? null })]
    }
    case 'product.launched':
      return [row('product', event.data, { owner: event.data.company, category: event.data.category })]
    case 'alliance.formed':
      return [row('alliance', event.data, {})]
    default:
      return []
  }
}

export const EntitySchema = Type.Object({
  slug: Type.String(),
  kind: Type.String({ description: 'company, product, alliance, investor, institution' }),
  name: Type.String(),
  localName: NullableString,
  owner: Type.Union([Type.String(), Type.Null()], { description: "A product's company" }),
})
export type EntityName = Static<typeof EntitySchema>

/** Every entity's latest name known at `at`. */
export async function entityNamesKnownAt<DB>(
  db: Kysely<DB>,
  at: Date | Knowledge,
): Promise<Map<string, EntityName>> {
  const { rows } = await sql<{
    slug: string
    kind: string
    name: string
    local_name: string | null
    owner: string | null
  }>`
    select distinct on (e.slug) e.slug, e.kind, e.name, e.local_name, e.owner
      from rm_entities.entities e
     where ${knownBy('e', at)}
     order by e.slug, e.position desc
  `.execute(db)
  return new Map(
    rows.map((r) => [
      r.slug,
      { slug: r.slug, kind: r.kind, name: r.name, localName: r.local_name, owner: r.owner },
    ]),
  )
}

/** A NameLookup for summaries over a map of known names; unknown slugs read as themselves. */
export function nameLookupOf(names: ReadonlyMap<string, EntityName>): NameLookup {
  return {
    name: (slug) => names.get(slug)?.name ?? slug,
    owner: (slug) => names.get(slug)?.owner ?? undefined,
  }
}

/**
 * The entity row of `slug` known at `at`, as a subquery for `left join lateral … on true`:
 * every read model that shows names takes them from here.
 */
export function entityKnownAt(slug: RawBuilder<unknown>, at: Date | Knowledge): RawBuilder<unknown> {
  return sql`(
    select e.* from rm_entities.entities e
     where e.slug = ${slug} and ${knownBy('e', at)}
     order by e.position desc limit 1
  )`
}

/** The latest name of `slug` known at `at`, or the slug itself. */
export function entityName(slug: RawBuilder<unknown>, at: Date | Knowledge): RawBuilder<string> {
  return sql<string>`coalesce((select x.name from ${entityKnownAt(slug, at)} as x), ${slug})`
}

/** Names of the slugs in the text[] `slugs`, in the same order. */
export function entityNames(slugs: RawBuilder<unknown>, at: Date | Knowledge): RawBuilder<string[]> {
  return sql<string[]>`array(
    select ${entityName(sql.ref('s.slug'), at)}
      from unnest(${slugs}) with ordinality as s(slug, n)
     order by s.n
  )`
}

const listEntities = defineQuery({
  operationId: 'listEntities',
  path: '/v1/entities',
  summary: 'Every company, product, alliance, investor and institution, by its latest name',
  description:
    'Names are identities, not market states: each entity as last registered by `knownAt`, whatever the ' +
    'valid time. Sorted by name.',
  querystring: knownAtOnly,
  answer: Type.Object({ knownAt: Instant, entities: Type.Array(EntitySchema) }),
  readModels: ['entities'],
  cache: 'always',
  async run({ db, at, cached }) {
    const entities = await cached(async () =>
      [...(await entityNamesKnownAt(db, at)).values()].sort(
        (a, b) => a.name.localeCompare(b.name, 'en') || a.slug.localeCompare(b.slug),
      ),
    )
    return { knownAt: at.knownAt.toISOString(), entities }
  },
})

export const entitiesProjection = defineProjection<Tables, MarketEvent>({
  name: 'entities',
  description: 'Names, kinds and owners of companies, products, alliances and institutions',
  tables: {
    entities: changePointTable(
      `slug text not null, kind text not null, name text not null, local_name text, owner text, category text`,
    ),
  },
  eventTypes: catalogue.namingTypes(),
  indexes: ['entities (slug, position)', 'entities (event_id)'],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'entities',
      events.flatMap((e) => entityRowOf(e, marketTz)),
    )
  },
  queries: [listEntities],
})
