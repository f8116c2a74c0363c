import { sql } from 'kysely'
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js'

/** The two functions that append: one batch, and a group of batches (group commit). */
const functions = [
  { name: 'mt_append_events', argument: 'batch' },
  { name: 'mt_append_group', argument: 'requests' },
] as const
type AppendFunction = (typeof functions)[number]

const real = (f: AppendFunction) => `'public.${f.name}(jsonb)'::regprocedure`
const lockStatement = /^\s*perform pg_advisory_xact_lock\(\d+\);\n/m
/** 5–25 ms between drawing positions and committing them: a wide window for a reader to pass them. */
const pause = 'perform pg_sleep(0.005 + random() * 0.02);'

export interface SlowAppendOptions {
  /** Append through copies of the functions with the log's lock taken out: the negative control. */
  readonly withoutLogLock: boolean
}

/**
 * Connections to a test database on which appends pause after they have drawn their positions
 * and before their transaction commits — the moment a reader could pass them by. With the lock
 * kept, each append function is the real one followed by the pause. Without it, each is a copy
 * made from the real function's own definition (`pg_get_functiondef`) with the
 * `pg_advisory_xact_lock` statement removed, pausing once it has inserted: `mt_append_events`
 * after its one-statement insert and answer (and, on its long way, before its answer), `mt_append_group` after its one-statement insert of a whole group (its
 * request-by-request path calls `mt_append_events` by name, and so finds that copy). Either lives in a schema
 * of its own that only these connections put first on their search path, so an event store
 * built on them is the real store; only its function calls land elsewhere.
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
  for (const f of functions) {
    await sql
      .raw(
        options.withoutLogLock
          ? await unlockedCopy(handle, schema, f)
          : await pausingWrapper(handle, schema, f),
      )
      .execute(handle.db)
  }
  return handle
}

async function pausingWrapper(handle: DatabaseHandle, schema: string, f: AppendFunction): Promise<string> {
  const { rows } = await sql<{ result: string }>`
    select pg_get_function_result(${sql.raw(real(f))}) as result
  `.execute(handle.db)
  return `
    create or replace function ${schema}.${f.name}(${f.argument} jsonb) returns ${rows[0]?.result}
    language plpgsql as $$
    begin
      return query select * from public.${f.name}(${f.argument});
      ${pause}
    end $$`
}

async function unlockedCopy(handle: DatabaseHandle, schema: string, f: AppendFunction): Promise<string> {
  const { rows } = await sql<{ definition: string }>`
    select pg_get_functiondef(${sql.raw(real(f))}) as definition
  `.execute(handle.db)
  const definition = rows[0]?.definition ?? ''
  if (!lockStatement.test(definition)) throw new Error(`${f.name} does not take the log lock as expected`)
  let copy = definition
    .replace(lockStatement, '')
    .replace(`FUNCTION public.${f.name}(`, `FUNCTION ${schema}.${f.name}(`)
  copy =
    f.name === 'mt_append_events'
      ? copy
          .replace(/^(\s*)(get diagnostics answered = row_count;)$/gm, `$1$2\n$1${pause}`)
          .replace(/^(\s*)return query(\n\s*select array_position)/m, `$1${pause}\n$1return query$2`)
      : copy.replace(/^(\s*)(from inserted i join numbered m on m\.id = i\.id\) as g;)$/m, `$1$2\n$1${pause}`)
  const pauses = copy.split(pause).length - 1
  const derived =
    copy.includes(`${schema}.${f.name}(`) &&
    (f.name === 'mt_append_events'
      ? pauses === 3
      : pauses === 1 && copy.includes(' from mt_append_events(batch)'))
  if (!derived) throw new Error(`could not derive the unlocked copy of ${f.name}`)
  return copy
}
