import { CompiledQuery, type Kysely } from 'kysely'
import PgBoss from 'pg-boss'
import type { Database } from './db/schema.js'
import { rebuildQueue } from './projector/rebuild-jobs.js'
import { reportQueue } from './reports/jobs.js'
import { deliveryQueue } from './webhooks/delivery-jobs.js'

export interface JobLog {
  error(obj: object, msg: string): void
}

/** Every pg-boss queue of the service. Creating one that exists changes nothing. */
const queues: readonly PgBoss.Queue[] = [rebuildQueue, deliveryQueue]

/**
 * Starts pg-boss in the `pgboss` schema and makes sure every queue exists with this code's
 * settings. pg-boss knows nothing of the process that took a job: a job whose worker was
 * killed stays active until it expires, and only then (at the next maintenance run, which
 * supervising processes take turns at) is it retried elsewhere. `expirySeconds` shortens that
 * wait for every queue here; the maintenance runs at least twice per expiry.
 */
export async function startJobQueue(
  databaseUrl: string,
  log: JobLog,
  supervise: boolean,
  expirySeconds?: number,
): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: 'pgboss',
    max: 4,
    supervise,
    schedule: false,
    ...(expirySeconds ? { maintenanceIntervalSeconds: Math.min(120, Math.ceil(expirySeconds / 2)) } : {}),
  })
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'))
  await boss.start()
  for (const queue of queues) {
    const settings = expirySeconds ? { ...queue, expireInSeconds: expirySeconds } : queue
    await boss.createQueue(queue.name, settings)
    // createQueue leaves an existing queue as it was: the settings of the running code win.
    await boss.updateQueue(queue.name, settings)
  }
  // Created here too, where start-up takes turns: the first creation of a queue attaches a
  // partition to pg-boss's job table, which deadlocks with another process fetching jobs.
  await boss.createQueue(reportQueue.name, reportQueue)
  return boss
}

/** Lets pg-boss run its statements inside a Kysely transaction, so jobs commit with our rows. */
export function jobsWithin(trx: Kysely<Database>): PgBoss.ConnectionOptions {
  return {
    db: {
      executeSql: async (text, values) => {
        const result = await trx.executeQuery(CompiledQuery.raw(text, values))
        return { rows: [...result.rows] }
      },
    },
  }
}
