import { CompiledQuery, type Kysely } from 'kysely'
import PgBoss from 'pg-boss'
import type { Database } from './db/schema.js'
import { rebuildQueue } from './projector/rebuild-jobs.js'
import { deliveryQueue } from './webhooks/delivery-jobs.js'

export interface JobLog {
  error(obj: object, msg: string): void
}

/** Every pg-boss queue of the service. Creating one that exists changes nothing. */
const queues: readonly PgBoss.Queue[] = [rebuildQueue, deliveryQueue]

/** Starts pg-boss in the `pgboss` schema and makes sure every queue exists. */
export async function startJobQueue(databaseUrl: string, log: JobLog, supervise: boolean): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: 'pgboss',
    max: 4,
    supervise,
    schedule: false,
  })
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'))
  await boss.start()
  for (const queue of queues) await boss.createQueue(queue.name, queue)
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
