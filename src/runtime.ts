import type { Config } from './config.js'
import { connectDatabase, type DatabaseHandle } from './db/connect.js'
import { type EmbeddedDatabase, startEmbeddedPostgres } from './db/embedded.js'
import { migrateToLatest } from './db/migrate.js'

export interface Runtime {
  /** The database's connection URL (the embedded server's when it was started). */
  readonly url: string
  readonly database: DatabaseHandle
  /** READ_DATABASE_URL's replica, read-only, for the API's reads; undefined without one. */
  readonly readDatabase: DatabaseHandle | undefined
  /** Report replays and full-log reads: REPORT_POOL_SIZE connections with REPORT_STATEMENT_TIMEOUT. */
  readonly reportDatabase: DatabaseHandle
  readonly embedded: EmbeddedDatabase | undefined
  /** Closes the pools, then stops the embedded server if this process started it. */
  close(): Promise<void>
}

export interface OpenOptions {
  /**
   * `service` for npm start, which starts the embedded server itself; a command's name
   * otherwise: a command uses the server that a running service publishes in DATA_DIR, and
   * starts its own only when none runs.
   */
  readonly role: string
  readonly log?: (line: string) => void
}

/** Connects to DATABASE_URL, or to the embedded PostgreSQL (started if need be), and applies migrations. */
export async function openDatabase(config: Config, { role, log = () => {} }: OpenOptions): Promise<Runtime> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.dataDir,
        role,
        attach: role !== 'service',
        log: (line) => log(`postgres: ${line}`),
      })
  const url = config.databaseUrl ?? embedded?.url
  if (!url) throw new Error('no database')
  // Migrations on a connection of their own, without the statement timeout: an index over a long
  // log may take minutes to build.
  const migrations = connectDatabase(url, { max: 1, applicationName: 'market-timeline-migrate' })
  try {
    await migrateToLatest(migrations.db)
  } catch (error) {
    await embedded?.stop()
    throw error
  } finally {
    await migrations.close()
  }
  const database = connectDatabase(url, { statementTimeoutMs: config.statementTimeoutMs })
  // The pools connect on first use: a replica that is not up yet only makes /ready answer 503.
  const readDatabase = config.readDatabaseUrl
    ? connectDatabase(config.readDatabaseUrl, {
        readOnly: true,
        applicationName: 'market-timeline-reads',
        statementTimeoutMs: config.statementTimeoutMs,
      })
    : undefined
  const reportDatabase = connectDatabase(config.readDatabaseUrl ?? url, {
    max: config.reports.poolSize,
    readOnly: true,
    applicationName: 'market-timeline-reports',
    statementTimeoutMs: config.reports.statementTimeoutMs,
  })
  return {
    url,
    database,
    readDatabase,
    reportDatabase,
    embedded,
    async close() {
      await reportDatabase.close()
      await readDatabase?.close()
      await database.close()
      await embedded?.stop()
    },
  }
}
