import net from 'node:net'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import type PgBoss from 'pg-boss'
import { catalogue } from '../events/index.js'
import { projections } from '../projections/index.js'
import { reports } from '../reports/index.js'
import { buildApp } from './api/app.js'
import { countApiKeys, createApiKey } from './auth/api-keys.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { whileStartingAlone } from './db/start-up-lock.js'
import { startJobQueue } from './jobs.js'
import { ensureProjections } from './projector/generations.js'
import { requestRebuild } from './projector/rebuild-jobs.js'
import { reportRequester } from './reports/jobs.js'
import { openDatabase, type Runtime } from './runtime.js'
import { loadSeeds } from './seeding.js'
import { describeStartupFailure } from './startup-failure.js'
import { createEventStore } from './store/event-store.js'
import { startWorker, type Worker } from './worker.js'

/**
 * `npm start` runs every role in one process: the API, the workers and (without DATABASE_URL)
 * the embedded PostgreSQL. `node --import tsx src/main.ts api|worker` runs one role against a
 * shared DATABASE_URL; any number of each may run.
 */
type Role = 'all' | 'api' | 'worker'

async function main(): Promise<void> {
  const started = performance.now()
  const role = parseRole(process.argv[2])
  const config = loadConfig()
  if (role !== 'all' && !config.databaseUrl) {
    throw new ConfigError(`the '${role}' role shares a database with other processes: set DATABASE_URL`)
  }
  // Before anything is started: a taken port is the most common reason a second start fails.
  if (role !== 'worker') await checkPortFree(config.port, config.host)
  const runtime = await openDatabase(config, { role: 'service' })
  const parts: { app?: FastifyInstance; worker?: Worker; boss?: PgBoss } = {}
  // Bounded: in-flight requests and jobs get 20 s, then the process leaves anyway.
  const shutDown = async () => {
    setTimeout(() => {
      console.error('shutdown took longer than 20 s; exiting')
      process.exit(1)
    }, 20_000).unref()
    await parts.app?.close()
    await parts.worker?.stop()
    await parts.boss?.stop({ graceful: true, wait: true, timeout: 10_000 })
    await runtime.close()
  }
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1) // a second signal: leave at once
      stopping = true
      parts.app?.log.info({ signal }, 'shutting down')
      void shutDown().then(() => process.exit(0))
    })
  }
  try {
    await run(role, config, runtime, parts, started)
  } catch (error) {
    stopping = true
    await shutDown()
    throw error
  }
}

/** Fails with EADDRINUSE (or EACCES) when `host:port` cannot be listened on; port 0 is always free. */
async function checkPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return
  const probe = net.createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()))
  })
}

async function run(
  role: Role,
  config: Config,
  runtime: Runtime,
  parts: { app?: FastifyInstance; worker?: Worker; boss?: PgBoss },
  started: number,
): Promise<void> {
  const { db } = runtime.database
  const store = createEventStore(db, catalogue, config.marketTz)
  const log = consoleLog(config)
  parts.boss = await whileStartingAlone(runtime.url, async () => {
    const boss = await startJobQueue(runtime.url, log, role !== 'api', config.jobExpirySeconds)
    await ensureProjections(db, projections)
    return boss
  })

  if (runtime.embedded && !config.adminApiKey && (await countApiKeys(db)) === 0) {
    const key = await createApiKey(db, 'bootstrap admin', ['admin'])
    // Printed once, on the console and not in the logs; only its hash is stored.
    console.log(
      `\nAn admin API key was created for this database. It is shown only now:\n\n  ${key.key}\n\n` +
        'Use it as "Authorization: Bearer <key>" to append events and manage keys; create more with npm run keys.\n',
    )
  }
  if (config.seedOnStart && role === 'all' && (await store.headPosition()) === 0) {
    for (const r of await loadSeeds(store, catalogue))
      log.info({ file: r.file, appended: r.appended }, 'loaded seed facts')
  }
  if (role !== 'api') {
    parts.worker = await startWorker({
      database: runtime.database,
      databaseUrl: runtime.url,
      catalogue,
      reports,
      projections,
      boss: parts.boss,
      marketTz: config.marketTz,
      webhooks: config.webhooks,
      log,
    })
    log.info({ projections: projections.map((p) => p.name) }, 'worker started')
  }
  if (role !== 'worker') {
    const boss = parts.boss
    parts.app = await buildApp({
      config,
      database: runtime.database,
      ...(runtime.readDatabase ? { readDatabase: runtime.readDatabase } : {}),
      reportDatabase: runtime.reportDatabase,
      catalogue,
      reports,
      projections,
      store,
      requestRebuild: (name) => requestRebuild(db, boss, name),
      requestReport: reportRequester(db, boss, { jobsPerCaller: config.reports.jobsPerCaller }),
      databaseUrl: runtime.url,
      jobs: boss,
    })
    await parts.app.listen({ port: config.port, host: config.host })
    parts.app.log.info(
      {
        role,
        database: runtime.embedded ? `embedded (${config.dataDir})` : 'DATABASE_URL',
        reads: runtime.readDatabase ? 'READ_DATABASE_URL' : 'DATABASE_URL',
        readyInMs: Math.round(performance.now() - started),
      },
      `Market Timeline listening on http://${config.host}:${config.port} (docs at /docs)`,
    )
  }
}

function parseRole(arg: string | undefined): Role {
  if (arg === undefined || arg === 'all' || arg === 'api' || arg === 'worker') return arg ?? 'all'
  throw new ConfigError(`unknown role '${arg}': use api, worker, or nothing for both`)
}

/** A minimal JSON-lines logger for the background parts (the API logs through Fastify's pino). */
function consoleLog(config: Config) {
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']
  const threshold = order.indexOf(config.logLevel)
  const write = (level: 'info' | 'warn' | 'error') => (obj: object, msg: string) => {
    if (order.indexOf(level) < threshold) return
    const fields = Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? { message: v.message, name: v.name } : v]),
    )
    process.stdout.write(`${JSON.stringify({ level, time: Date.now(), msg, ...fields })}\n`)
  }
  return { info: write('info'), warn: write('warn'), error: write('error') }
}

main().catch((error: unknown) => {
  console.error(`market-timeline: ${describeStartupFailure(error, process.env.DATABASE_URL)}`)
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') console.error(error)
  process.exit(1)
})
