import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'
import { generationSchema, type Projection, readSchema, relationsOf, tableBody } from './projection.js'

/**
 * Generations of a projection's tables. Generation n lives in schema `rm_<name>_g<n>`; the
 * views in `rm_<name>` point at the live one. All DDL here runs inside the caller's transaction,
 * so a swap is atomic: readers see the old generation or the new one, never a half.
 */

const registryLock = 738846024

/**
 * Registers every projection that has no live generation yet (generation 1, empty, position 0).
 * A live generation made for an earlier definition of its projection — one that lacks a table or
 * view the projection now declares — is replaced by an empty one, which catches up from position 0.
 */
export async function ensureProjections(
  db: Kysely<Database>,
  projections: readonly Projection[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Several processes start at once: one creates, the others then find it done.
    await sql`select pg_advisory_xact_lock(${registryLock})`.execute(trx)
    const rows = await trx
      .selectFrom('projections')
      .select(['name', 'live_generation', 'building_generation'])
      .execute()
    const known = new Map(rows.map((r) => [r.name, r]))
    for (const projection of projections) {
      const row = known.get(projection.name)
      if (!row) {
        await trx.insertInto('projections').values({ name: projection.name, live_generation: 1 }).execute()
        await createGeneration(trx, projection, 1)
        await pointViewsAt(trx, projection, 1)
      } else if (!(await holdsEveryRelation(trx, projection, row.live_generation))) {
        await replaceOutdated(trx, projection, row.live_generation, row.building_generation)
      }
    }
  })
}

/**
 * True when `generation` has every table and view that `projection` declares, and each table every
 * column it declares: a column added to a read model (or to every change point) rebuilds it too.
 */
async function holdsEveryRelation(
  trx: Kysely<Database>,
  projection: Projection,
  generation: number,
): Promise<boolean> {
  const schema = generationSchema(projection.name, generation)
  const tables = Object.keys(projection.tables)
  const views = Object.keys(projection.views ?? {})
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace
     where s.nspname = ${schema}
       and ((c.relkind = 'r' and c.relname = any(${tables})) or (c.relkind = 'v' and c.relname = any(${views})))
  `.execute(trx)
  if (rows[0]?.n !== tables.length + views.length) return false
  return holdsEveryColumn(trx, schema, projection)
}

async function holdsEveryColumn(
  trx: Kysely<Database>,
  schema: string,
  projection: Projection,
): Promise<boolean> {
  const declared = Object.entries(projection.tables).flatMap(([table, definition]) =>
    declaredColumns(tableBody(definition)).map((column) => `${table}.${column}`),
  )
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace s on s.oid = c.relnamespace
     where s.nspname = ${schema} and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
       and c.relname || '.' || a.attname = any(${declared})
  `.execute(trx)
  return rows[0]?.n === declared.length
}

/** Words that open a table constraint, not a column, in a `create table` body. */
const constraintWords = new Set(['primary', 'unique', 'constraint', 'check', 'foreign', 'exclude', 'like'])

/** The column names of a `create table` body, `(a text not null, b int, primary key (a))`: a, b. */
export function declaredColumns(body: string): string[] {
  const inner = body.trim().replace(/^\(/, '').replace(/\)$/, '')
  const items: string[] = []
  let depth = 0
  let item = ''
  for (const char of inner) {
    if (char === ',' && depth === 0) {
      items.push(item)
      item = ''
      continue
    }
    if (char === '(') depth++
    if (char === ')') depth--
    item += char
  }
  items.push(item)
  return items
    .map((i) => i.trim().split(/\s+/)[0]?.replaceAll('"', '') ?? '')
    .filter((name) => name !== '' && !constraintWords.has(name.toLowerCase()))
}

async function replaceOutdated(
  trx: Kysely<Database>,
  projection: Projection,
  live: number,
  building: number | null,
): Promise<void> {
  const { rows } = await sql<{ last: number }>`
    select coalesce(max(generation), 0)::int as last from projection_checkpoints where name = ${projection.name}
  `.execute(trx)
  const generation = Math.max(rows[0]?.last ?? 0, live, building ?? 0) + 1
  await createGeneration(trx, projection, generation)
  await pointViewsAt(trx, projection, generation)
  await trx
    .updateTable('projections')
    .set({ live_generation: generation, building_generation: null, rebuild_job_id: null })
    .where('name', '=', projection.name)
    .execute()
  await dropGeneration(trx, projection, live)
  if (building !== null) await dropGeneration(trx, projection, building)
}

/** Creates an empty generation's schema, tables, indexes and checkpoint. */
export async function createGeneration(
  trx: Kysely<Database>,
  projection: Projection,
  generation: number,
): Promise<void> {
  const schema = generationSchema(projection.name, generation)
  await sql`create schema ${sql.id(schema)}`.execute(trx)
  for (const [table, definition] of Object.entries(projection.tables)) {
    await sql`create table ${sql.id(schema, table)} ${sql.raw(tableBody(definition))}`.execute(trx)
  }
  for (const index of projection.indexes) {
    // Index definitions come from the projection's code, never from input.
    await sql.raw(`create index on "${schema}".${index}`).execute(trx)
  }
  for (const [view, select] of Object.entries(projection.views ?? {})) {
    // View texts come from the projection's code, never from input.
    const body = select({ name: projection.name, schema, generation })
    await sql`create view ${sql.id(schema, view)} as ${sql.raw(body)}`.execute(trx)
  }
  await trx
    .insertInto('projection_checkpoints')
    .values({ name: projection.name, generation, position: 0 })
    .execute()
}

/** Replaces the read views of `projection` with views onto `generation`. */
export async function pointViewsAt(
  trx: Kysely<Database>,
  projection: Projection,
  generation: number,
): Promise<void> {
  const views = readSchema(projection.name)
  const schema = generationSchema(projection.name, generation)
  await sql`create schema if not exists ${sql.id(views)}`.execute(trx)
  for (const table of relationsOf(projection)) {
    // CREATE OR REPLACE keeps the view's identity, so queries waiting on it go on to the new
    // generation; only a changed column list needs a new view.
    if (!(await sameColumns(trx, `${views}.${table}`, `${schema}.${table}`))) {
      await sql`drop view if exists ${sql.id(views, table)}`.execute(trx)
    }
    await sql`create or replace view ${sql.id(views, table)} as select * from ${sql.id(schema, table)}`.execute(
      trx,
    )
  }
}

async function sameColumns(trx: Kysely<Database>, view: string, table: string): Promise<boolean> {
  const columns = (relation: string) =>
    sql<{ columns: string | null }>`
    select string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' order by attnum) as columns
      from pg_attribute
     where attrelid = to_regclass(${relation}) and attnum > 0 and not attisdropped
  `.execute(trx)
  const [a, b] = await Promise.all([columns(view), columns(table)])
  return a.rows[0]?.columns != null && a.rows[0]?.columns === b.rows[0]?.columns
}

export async function dropGeneration(
  db: Kysely<Database>,
  projection: Projection,
  generation: number,
): Promise<void> {
  await sql`drop schema if exists ${sql.id(generationSchema(projection.name, generation))} cascade`.execute(
    db,
  )
  await db
    .deleteFrom('projection_checkpoints')
    .where('name', '=', projection.name)
    .where('generation', '=', generation)
    .execute()
}
