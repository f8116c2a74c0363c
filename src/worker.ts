import type PgBoss from 'pg-boss'
import type { Catalogue } from './catalogue/catalogue.js'
import type { WebhookConfig } from './config.js'
import type { DatabaseHandle } from './db/connect.js'
import { startHistoryKeeper } from './history/keeper.js'
import { ensureProjections } from './projector/generations.js'
import type { Projection } from './projector/projection.js'
import { type Projector, type ProjectorLog, startProjector } from './projector/projector.js'
import { REBUILD_QUEUE, workRebuilds } from './projector/rebuild-jobs.js'
import { REPORT_QUEUE, workReports } from './reports/jobs.js'
import type { Report } from './reports/report.js'
import { createEventStore } from './store/event-store.js'
import { startDeliveryWorker } from './webhooks/delivery-worker.js'
import { startDispatcher } from './webhooks/dispatcher.js'

export interface WorkerDependencies {
  readonly database: DatabaseHandle
  readonly databaseUrl: string
  readonly catalogue: Catalogue
  readonly projections: readonly Projection[]
  readonly reports: readonly Report[]
  readonly boss: PgBoss
  readonly marketTz: string
  readonly webhooks: WebhookConfig
  readonly log: ProjectorLog
  readonly batchSize?: number
  /** Rows per page of a report job's replay (progress is stored after each page). */
  readonly reportPageSize?: number
}

export interface Worker {
  readonly projector: Projector
  /** Stops taking work, finishes the batches and jobs in flight, and returns. */
  stop(): Promise<void>
}

/**
 * The background role: keeps the projections caught up, runs rebuild jobs, keeps subjects'
 * histories, turns new facts into webhook deliveries and sends them. Any number may run.
 */
export async function startWorker(deps: WorkerDependencies): Promise<Worker> {
  const { db } = deps.database
  const store = createEventStore(db, deps.catalogue, deps.marketTz)
  await ensureProjections(db, deps.projections)
  const projector = startProjector({
    db,
    store,
    projections: deps.projections,
    databaseUrl: deps.databaseUrl,
    log: deps.log,
    ...(deps.batchSize ? { batchSize: deps.batchSize } : {}),
  })
  await workRebuilds(deps.boss, { db, store, projections: deps.projections, log: deps.log })
  // Histories read names from the entities read model: without it (or any comparable) none is kept.
  const comparables = deps.projections.flatMap((p) => p.comparables ?? [])
  const keeper =
    comparables.length > 0 && deps.projections.some((p) => p.name === 'entities')
      ? startHistoryKeeper({
          db,
          databaseUrl: deps.databaseUrl,
          comparables,
          marketTz: deps.marketTz,
          log: deps.log,
        })
      : undefined
  const webhookParts = { db, store, boss: deps.boss, databaseUrl: deps.databaseUrl, log: deps.log }
  const dispatcher = startDispatcher({ ...webhookParts, catalogue: deps.catalogue })
  const deliveries = startDeliveryWorker({ ...webhookParts, config: deps.webhooks })
  await workReports(deps.boss, {
    db,
    catalogue: deps.catalogue,
    reports: deps.reports,
    log: deps.log,
    ...(deps.reportPageSize ? { pageSize: deps.reportPageSize } : {}),
  })
  return {
    projector,
    async stop() {
      await deps.boss.offWork(REBUILD_QUEUE)
      await dispatcher.stop()
      await deliveries.stop()
      await deps.boss.offWork(REPORT_QUEUE)
      await keeper?.stop()
      await projector.stop()
    },
  }
}
