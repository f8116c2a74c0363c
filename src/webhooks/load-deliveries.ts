import { type Kysely, sql } from 'kysely'
import type PgBoss from 'pg-boss'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import type { DeliveryJobData } from './delivery-jobs.js'
import type { Delivery } from './settlements.js'

/** A fetched job's delivery: whether the job may still send it, and what to send. */
export interface FoundDelivery {
  readonly jobId: string | null
  readonly active: boolean
  readonly delivery: Delivery
}

/** The deliveries of fetched jobs, each with its event and the secrets that sign it now. */
export async function loadDeliveries(
  db: Kysely<Database>,
  store: EventStore,
  jobs: ReadonlyArray<PgBoss.Job<DeliveryJobData>>,
): Promise<Map<string, FoundDelivery>> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .select([
      'd.id',
      'd.job_id',
      'd.next_attempt',
      'd.event_position',
      's.id as subscription_id',
      's.url',
      's.status',
      's.secret',
      's.previous_secret',
      's.previous_secret_until',
    ])
    .where('d.id', '=', sql<string>`any(${jobs.map((j) => j.data.deliveryId)}::uuid[])`)
    .execute()
  const events = new Map(
    (await store.findByPositions([...new Set(rows.map((r) => r.event_position))])).map((e) => [
      e.position,
      e,
    ]),
  )
  const now = Date.now()
  const found = new Map<string, FoundDelivery>()
  for (const row of rows) {
    const event = events.get(row.event_position)
    if (!event) continue
    const previousInUse =
      row.previous_secret && row.previous_secret_until && row.previous_secret_until.getTime() > now
    found.set(row.id, {
      jobId: row.job_id,
      active: row.status === 'active',
      delivery: {
        id: row.id,
        jobId: row.job_id ?? '',
        subscriptionId: row.subscription_id,
        url: row.url,
        secrets: previousInUse && row.previous_secret ? [row.secret, row.previous_secret] : [row.secret],
        nextAttempt: row.next_attempt,
        event,
      },
    })
  }
  return found
}
