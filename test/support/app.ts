import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type PgBoss from 'pg-boss'
import { catalogue as defaultCatalogue } from '../../events/index.js'
import { projections as defaultProjections } from '../../projections/index.js'
import { reports } from '../../reports/index.js'
import { buildApp } from '../../src/api/app.js'
import type { Catalogue } from '../../src/catalogue/catalogue.js'
import { type Config, loadConfig } from '../../src/config.js'
import { connectDatabase } from '../../src/db/connect.js'
import { startJobQueue } from '../../src/jobs.js'
import { ensureProjections } from '../../src/projector/generations.js'
import type { Projection } from '../../src/projector/projection.js'
import type { ProjectorLog } from '../../src/projector/projector.js'
import { requestRebuild } from '../../src/projector/rebuild-jobs.js'
import { reportRequester } from '../../src/reports/jobs.js'
import { createEventStore, type EventStore } from '../../src/store/event-store.js'
import { startWorker, type Worker } from '../../src/worker.js'
import { createTestDatabase, type TestDatabase } from './database.js'

/** The admin key every test app accepts (ADMIN_API_KEY). */
export const testAdminKey = 'test-admin-key-0123456789abcdef0123456789'

export interface TestApp {
  readonly app: FastifyInstance
  /** `app.inject` with the admin key, unless the request brings its own Authorization header. */
  inject(request: string | InjectOptions): Promise<LightMyRequestResponse>
  readonly store: EventStore
  readonly database: TestDatabase
  readonly config: Config
  readonly worker: Worker | undefined
  /** Errors the background parts logged. */
  readonly errors: Array<{ msg: string; obj: object }>
  close(): Promise<void>
}

export interface TestAppOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly catalogue?: Catalogue
  readonly projections?: readonly Projection[]
  /** Run the background worker (projector and rebuild jobs on a real pg-boss) in this process. */
  readonly worker?: boolean
  readonly batchSize?: number
  /** Rows per page of a report job's replay. */
  readonly reportPageSize?: number
}

/** The real app on a fresh database of its own, for `app.inject`; with `worker`, its projections too. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: testAdminKey,
    RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  })
  const catalogue = options.catalogue ?? defaultCatalogue
  const projections = options.projections ?? defaultProjections
  const database = await createTestDatabase()
  const store = createEventStore(database.handle.db, catalogue, config.marketTz)
  const errors: Array<{ msg: string; obj: object }> = []
  const log: ProjectorLog = { info: () => {}, warn: () => {}, error: (obj, msg) => errors.push({ obj, msg }) }
  await ensureProjections(database.handle.db, projections)

  let boss: PgBoss | undefined
  let worker: Worker | undefined
  if (options.worker) {
    boss = await startJobQueue(database.url, log, true, config.jobExpirySeconds)
    worker = await startWorker({
      database: database.handle,
      databaseUrl: database.url,
      catalogue,
      reports,
      projections,
      boss,
      marketTz: config.marketTz,
      webhooks: config.webhooks,
      log,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      ...(options.reportPageSize ? { reportPageSize: options.reportPageSize } : {}),
    })
  }
  const queue = boss
  // Reads go through a read-only pool, as they do on a replica: a read route that writes fails here.
  const reads = connectDatabase(database.url, { readOnly: true, max: 4, applicationName: 'test-reads' })
  const app = await buildApp({
    config,
    database: database.handle,
    readDatabase: reads,
    catalogue,
    reports,
    projections,
    store,
    databaseUrl: database.url,
    ...(queue ? { jobs: queue } : {}),
    ...(queue ? { requestRebuild: (name: string) => requestRebuild(database.handle.db, queue, name) } : {}),
    ...(queue ? { requestReport: reportRequester(database.handle.db, queue) } : {}),
  })
  await app.ready()
  return {
    app,
    inject(request) {
      const options: InjectOptions = typeof request === 'string' ? { url: request } : request
      const headers = { authorization: `Bearer ${testAdminKey}`, ...(options.headers ?? {}) }
      return app.inject({ ...options, headers })
    },
    store,
    database,
    config,
    worker,
    errors,
    async close() {
      await app.close()
      await worker?.stop()
      await boss?.stop({ graceful: false, wait: true, timeout: 5000 })
      await reads.close()
      await database.drop()
    },
  }
}
