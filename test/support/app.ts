import type { FastifyInstance } from 'fastify'
import { catalogue as defaultCatalogue } from '../../events/index.js'
import { buildApp } from '../../src/api/app.js'
import type { Catalogue } from '../../src/catalogue/catalogue.js'
import { type Config, loadConfig } from '../../src/config.js'
import { createEventStore, type EventStore } from '../../src/store/event-store.js'
import { createTestDatabase, type TestDatabase } from './database.js'

export interface TestApp {
  readonly app: FastifyInstance
  readonly store: EventStore
  readonly database: TestDatabase
  readonly config: Config
  close(): Promise<void>
}

/** The real app on a fresh database of its own, for `app.inject`. */
export async function startTestApp(
  options: { env?: NodeJS.ProcessEnv; catalogue?: Catalogue } = {},
): Promise<TestApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...options.env })
  const catalogue = options.catalogue ?? defaultCatalogue
  const database = await createTestDatabase()
  const store = createEventStore(database.handle.db, catalogue, config.marketTz)
  const app = await buildApp({ config, database: database.handle, catalogue, store })
  await app.ready()
  return {
    app,
    store,
    database,
    config,
    async close() {
      await app.close()
      await database.drop()
    },
  }
}
