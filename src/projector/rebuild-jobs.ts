import type { Kysely } from 'kysely'
import type PgBoss from 'pg-boss'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import type { Projection } from './projection.js'
import type { ProjectorLog } from './projector.js'
import { rebuildProjection } from './rebuild.js'

/**
 * Rebuilds run as pg-boss jobs: any worker process may take one, a crashed worker's job is
 * retried after it expires, and the job id lets a client follow it. (Catching up with the log
 * is not a pg-boss job: it is woken by NOTIFY, so that new facts are visible within
 * milliseconds rather than after a polling interval.)
 */
export const REBUILD_QUEUE = 'projection-rebuild'

export const rebuildQueue: PgBoss.Queue = {
  name: REBUILD_QUEUE,
  retryLimit: 5,
  retryDelay: 5,
  expireInSeconds: 3600,
}

/** Queues a rebuild, or returns the job of the rebuild already under way. */
export async function requestRebuild(db: Kysely<Database>, boss: PgBoss, name: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('projections')
      .select(['rebuild_job_id'])
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirstOrThrow()
    if (row.rebuild_job_id) return row.rebuild_job_id
    const jobId = await boss.send(REBUILD_QUEUE, { name })
    if (!jobId) throw new Error('the job queue refused the rebuild job')
    await trx.updateTable('projections').set({ rebuild_job_id: jobId }).where('name', '=', name).execute()
    return jobId
  })
}

export async function workRebuilds(
  boss: PgBoss,
  deps: { db: Kysely<Database>; store: EventStore; projections: readonly Projection[]; log: ProjectorLog },
): Promise<void> {
  await boss.work<{ name: string }>(REBUILD_QUEUE, { pollingIntervalSeconds: 1 }, async ([job]) => {
    const projection = deps.projections.find((p) => p.name === job?.data.name)
    if (!projection) throw new Error(`no projection named ${job?.data.name}`)
    deps.log.info({ projection: projection.name, jobId: job?.id }, 'rebuilding projection')
    const result = await rebuildProjection(deps.db, deps.store, projection)
    deps.log.info({ projection: projection.name, ...result }, 'projection rebuilt and swapped in')
  })
}
