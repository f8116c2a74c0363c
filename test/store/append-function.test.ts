import { Kysely, PostgresDialect, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { up as applyAppendFunction } from '../../src/db/migrations/005-lean-append.js'
import { up as applyGroupAppend } from '../../src/db/migrations/008-group-append.js'
import type { Database } from '../../src/db/schema.js'
import { appendFunction } from '../../src/store/sql/append-function.js'
import { appendGroupFunction } from '../../src/store/sql/append-group-function.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'

let database: TestDatabase
let db: Kysely<Database>
beforeAll(async () => {
  database = await createTestDatabase()
  db = database.handle.db
})
afterAll(() => database.drop())

const liveDefinition = async (): Promise<string> => {
  const { rows } = await sql<{ definition: string }>`
    select pg_get_functiondef('public.mt_append_events(jsonb)'::regprocedure) as definition
  `.execute(db)
  return rows[0]?.definition ?? ''
}

/** The definition PostgreSQL gives the constant's text, created in a schema of its own. */
const constantDefinition = async (): Promise<string> => {
  const { rows } = await sql<{ definition: string }>`
    select pg_get_functiondef('mt_constant.mt_append_events(jsonb)'::regprocedure) as definition
  `.execute(db)
  return (rows[0]?.definition ?? '').replace('FUNCTION mt_constant.', 'FUNCTION public.')
}

describe('the append function', () => {
  beforeAll(async () => {
    await db.connection().execute(async (connection) => {
      await sql`create schema mt_constant`.execute(connection)
      await sql`set search_path = mt_constant`.execute(connection)
      await sql.raw(appendFunction).execute(connection)
      await sql`reset search_path`.execute(connection)
    })
  })

  it('is, in a migrated database, the text of src/store/sql/append-function.ts', async () => {
    const live = await liveDefinition()
    expect(live).toContain('pg_advisory_xact_lock')
    expect(live).toBe(await constantDefinition())
  })

  it('replaces an earlier version with other returned columns when its migration runs', async () => {
    await sql`drop function mt_append_events(jsonb)`.execute(db)
    await sql`
      create function mt_append_events(batch jsonb) returns table (appended boolean)
      language sql as 'select true'
    `.execute(db)
    // Migrations are written against an untyped database, as the migrator runs them.
    await applyAppendFunction(
      new Kysely<unknown>({ dialect: new PostgresDialect({ pool: database.handle.pool }) }),
    )
    expect(await liveDefinition()).toBe(await constantDefinition())
  })
  it('is brought to its current text by 008-group-append on a database that ran 005 earlier', async () => {
    // An earlier text with the same returned columns, as 005 left it on databases migrated then.
    await sql`
      create or replace function mt_append_events(batch jsonb)
      returns table (idx integer, appended boolean, "position" bigint, version integer,
                     effective_from timestamptz, recorded_at timestamptz)
      language sql as 'select null::integer, null::boolean, null::bigint, null::integer, null::timestamptz, null::timestamptz'
    `.execute(db)
    expect(await liveDefinition()).not.toBe(await constantDefinition())
    await applyGroupAppend(
      new Kysely<unknown>({ dialect: new PostgresDialect({ pool: database.handle.pool }) }),
    )
    expect(await liveDefinition()).toBe(await constantDefinition())
  })
})

describe('the group append function', () => {
  it('is, in a migrated database, the text of src/store/sql/append-group-function.ts, taking the log lock', async () => {
    const definitionIn = async (schema: string) => {
      const { rows } = await sql<{ definition: string }>`
        select pg_get_functiondef(${`${schema}.mt_append_group(jsonb)`}::regprocedure) as definition
      `.execute(db)
      return (rows[0]?.definition ?? '').replace(`FUNCTION ${schema}.`, 'FUNCTION public.')
    }
    await db.connection().execute(async (connection) => {
      await sql`create schema if not exists mt_constant`.execute(connection)
      await sql`set search_path = mt_constant`.execute(connection)
      await sql.raw(appendGroupFunction).execute(connection)
      await sql`reset search_path`.execute(connection)
    })
    const live = await definitionIn('public')
    expect(live).toContain('pg_advisory_xact_lock(7388460240563250001)')
    expect(live).toBe(await definitionIn('mt_constant'))
  })
})
