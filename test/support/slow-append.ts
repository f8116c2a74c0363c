import { sql } from 'kysely'
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js'

const realFunction = `'public.mt_append_events(jsonb)'::regprocedure`
const lockStatement = /^\s*perform pg_advisory_xact_lock\(\d+\);\n/m
/** 5–25 ms between drawing positions and committing them: a wide window for a reader to pass them. */
const pause = 'perform pg_sleep(0.005 + random() * 0.02);'

export interface SlowAppendOptions {
  /** Append through a copy of the function with the log's lock taken out: the negative control. */
  readonly withoutLogLock: boolean
}

/**
 * Connections to a test database on which `mt_append_events` pauses after it has drawn its
 * positions and before its transaction commits — the moment a reader could pass them by.
 * With the lock kept, it is the real function followed by the pause. Without it, it is a copy
 * made from the real function's own definition (`pg_get_functiondef`) with the
 * `pg_advisory_xact_lock` statement removed and the pause before its answer. Either lives in a
 * schema of its own that only these connections put first on their search path, so an event
 * store built on them is the real store; only its one function call lands elsewhere.
 */
export async function connectWithSlowAppends(
  url: string,
  options: SlowAppendOptions,
): Promise<DatabaseHandle> {
  const schema = options.withoutLogLock ? 'mt_unlocked_append' : 'mt_slow_append'
  const handle = connectDatabase(url, { applicationName: `test-${schema}` })
  handle.pool.on('connect', (client) => {
    // Queued before anything the pool hands this connection out for.
    client.query(`set search_path = ${schema}, public`).catch(() => {})
  })
  await sql.raw(`create schema if not exists ${schema}`).execute(handle.db)
  await sql
    .raw(options.withoutLogLock ? await unlockedCopy(handle, schema) : await pausingWrapper(handle, schema))
    .execute(handle.db)
  return handle
}

async function pausingWrapper(handle: DatabaseHandle, schema: string): Promise<string> {
  const { rows } = await sql<{ result: string }>`
    select pg_get_function_result(${sql.raw(realFunction)}) as result
  `.execute(handle.db)
  return `
    create or replace function ${schema}.mt_append_events(batch jsonb) returns ${rows[0]?.result}
    language plpgsql as $$
    begin
      return query select * from public.mt_append_events(batch);
      ${pause}
    end $$`
}

async function unlockedCopy(handle: DatabaseHandle, schema: string): Promise<string> {
  const { rows } = await sql<{ definition: string }>`
    select pg_get_functiondef(${sql.raw(realFunction)}) as definition
  `.execute(handle.db)
  const real = rows[0]?.definition ?? ''
  if (!lockStatement.test(real)) throw new Error('mt_append_events does not take the log lock as expected')
  const copy = real
    .replace(lockStatement, '')
    .replace('FUNCTION public.mt_append_events(', `FUNCTION ${schema}.mt_append_events(`)
    .replace(/^(\s*)return query$/m, `$1${pause}\n$1return query`)
  if (!copy.includes(`${schema}.mt_append_events(`) || !copy.includes(pause)) {
    throw new Error('could not derive the unlocked copy of mt_append_events')
  }
  return copy
}
