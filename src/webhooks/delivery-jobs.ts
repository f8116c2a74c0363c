import { type Kysely, sql } from 'kysely'
import type PgBoss from 'pg-boss'
import { channels } from '../db/channels.js'
import type { Database } from '../db/schema.js'

/**
 * One pg-boss job sends one delivery once. Retries are new jobs scheduled with `startAfter`
 * (pg-boss's own backoff cannot follow the retry schedule), and the delivery row names the job
 * that may send it: a job that finds another id there (superseded by a manual retry) does nothing.
 */
export const DELIVERY_QUEUE = 'webhook-delivery'

export const deliveryQueue: PgBoss.Queue = {
  name: DELIVERY_QUEUE,
  // Only crashes land here (a failed attempt completes its job and schedules a new one).
  retryLimit: 20,
  retryDelay: 10,
  expireInSeconds: 600,
  retentionMinutes: 60 * 24 * 2,
}

/** Channel that wakes delivery workers when jobs are queued (NOTIFY is sent at commit). */
export const DELIVERY_CHANNEL = channels.webhookJobs

export interface DeliveryJobData {
  readonly deliveryId: string
}

export interface QueuedDelivery {
  readonly deliveryId: string
  readonly jobId: string
  readonly startAfter?: Date
}

/** Queues jobs in the caller's transaction; pass `within` from `jobsWithin(trx)`. */
export async function queueDeliveries(
  trx: Kysely<Database>,
  boss: PgBoss,
  within: PgBoss.ConnectionOptions,
  queued: readonly QueuedDelivery[],
): Promise<void> {
  if (queued.length === 0) return
  await boss.insert(
    queued.map((q) => ({
      id: q.jobId,
      name: DELIVERY_QUEUE,
      data: { deliveryId: q.deliveryId } satisfies DeliveryJobData,
      ...(q.startAfter ? { startAfter: q.startAfter } : {}),
    })),
    within,
  )
  await sql`select pg_notify(${DELIVERY_CHANNEL}, '')`.execute(trx)
}
