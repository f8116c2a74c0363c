import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.js'

export interface DatabaseHandle {
  readonly db: Kysely<Database>
  readonly pool: pg.Pool
  close(): Promise<void>
}

const INT8_OID = 20

/** Positions are bigint in SQL; they stay far below 2^53, so they are read as numbers. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  },
}

export interface ConnectOptions {
  readonly max?: number
  readonly applicationName?: string
  /**
   * Every transaction read-only (`default_transaction_read_only`): for a replica's pool, so that a
   * query that writes fails loudly wherever it runs, on a standby or on a primary standing in for one.
   */
  readonly readOnly?: boolean
  /** Every statement is cancelled after this long, in ms (`statement_timeout`); unset or 0: never. */
  readonly statementTimeoutMs?: number
}

/** A statement PostgreSQL cancelled for running past `statement_timeout` (query_canceled, 57014). */
export function isStatementTimeout(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return code === '57014' && typeof message === 'string' && message.includes('statement timeout')
}

export function connectDatabase(url: string, options: ConnectOptions = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'market-timeline',
    // A session left idle inside a transaction keeps its locks and holds back vacuum; none of
    // ours should, and a stuck one is ended after 30 s rather than left to stall others.
    // A read model's statement runs in milliseconds; compiling it (JIT, which PostgreSQL starts from
    // a cost estimate, not a measure) took 20 to 300 ms where the statement itself took 13.
    options: [
      '-c idle_in_transaction_session_timeout=30000',
      '-c jit=off',
      ...(options.readOnly ? ['-c default_transaction_read_only=on'] : []),
      ...(options.statementTimeoutMs
        ? [`-c statement_timeout=${Math.round(options.statementTimeoutMs)}`]
        : []),
    ].join(' '),
    types,
  })
  // A server that goes away makes its connections emit 'error', idle or checked out between two
  // queries; unheard, that would end the process. The next query on them fails and is retried.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    pool,
    async close() {
      await db.destroy()
    },
  }
}
