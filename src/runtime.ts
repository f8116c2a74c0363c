import type { Config } from './config.js'
import { connectDatabase, type DatabaseHandle } from './db/connect.js'
import { type EmbeddedDatabase, startEmbeddedPostgres } from './db/embedded.js'
import { migrateToLatest } from './db/migrate.js'

export interface Runtime {
  /** The database's connection URL (the embedded server's when it was started). */
  readonly url: string
  readonly database: DatabaseHandle
  readonly embedded: EmbeddedDatabase | undefined
  /** Closes the pool, then stops the embedded server if this process started it. */
  close(): Promise<void>
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL, and applies migrations. */
export async function openDatabase(config: Config, log: (line: string) => void): Promise<Runtime> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, log: (line) => log(`postgres: ${line}`) })
  const url = config.databaseUrl ?? embedded?.url
  if (!url) throw new Error('no database')
  const database = connectDatabase(url)
  try {
    await migrateToLatest(database.db)
  } catch (error) {
    await database.close()
    await embedded?.stop()
    throw error
  }
  return {
    url,
    database,
    embedded,
    async close() {
      await database.close()
      await embedded?.stop()
    },
  }
}
