import { randomUUID } from 'node:crypto'
import type { Kysely, Selectable } from 'kysely'
import type PgBoss from 'pg-boss'
import type { WebhookConfig } from '../config.js'
import type { Database, WebhookAttemptsTable } from '../db/schema.js'
import { Conflict, NotFound } from '../errors.js'
import { jobsWithin } from '../jobs.js'
import { queueDeliveries } from './delivery-jobs.js'
import type { Attempt, DeliveryLogPage, DeliveryLogQuery, QueuedRetry } from './schemas/delivery.js'
import { getSubscription } from './subscriptions.js'

function toAttempt(row: Selectable<WebhookAttemptsTable>): Attempt {
  return {
    attempt: row.attempt,
    attemptedAt: row.attempted_at.toISOString(),
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    error: row.error,
    responseBody: row.response_body,
  }
}

/** The delivery log of a subscription, newest first, each delivery with every attempt; `next` pages on. */
export async function listDeliveries(
  db: Kysely<Database>,
  subscriptionId: string,
  filter: DeliveryLogQuery,
): Promise<DeliveryLogPage> {
  await getSubscription(db, subscriptionId)
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.position', 'd.event_position')
    .select([
      'd.id',
      'd.seq',
      'd.event_id',
      'd.event_position',
      'e.type',
      'e.subject',
      'd.status',
      'd.replay_id',
      'd.attempt_count',
      'd.next_attempt_at',
      'd.created_at',
      'd.delivered_at',
    ])
    .where('d.subscription_id', '=', subscriptionId)
    .orderBy('d.seq', 'desc')
    .limit(filter.limit + 1)
  if (filter.status) query = query.where('d.status', '=', filter.status)
  if (filter.next !== undefined) query = query.where('d.seq', '<', filter.next)
  const rows = await query.execute()
  const page = rows.slice(0, filter.limit)
  const attempts = page.length
    ? await db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where(
          'delivery_id',
          'in',
          page.map((r) => r.id),
        )
        .orderBy('attempt')
        .execute()
    : []
  const byDelivery = new Map<string, Array<Selectable<WebhookAttemptsTable>>>()
  for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a])
  return {
    deliveries: page.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      eventPosition: r.event_position,
      eventType: r.type,
      subject: r.subject,
      status: r.status,
      replayId: r.replay_id,
      attemptCount: r.attempt_count,
      nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
      createdAt: r.created_at.toISOString(),
      deliveredAt: r.delivered_at?.toISOString() ?? null,
      attempts: (byDelivery.get(r.id) ?? []).map(toAttempt),
    })),
    next: rows.length > filter.limit ? (page.at(-1)?.seq ?? null) : null,
  }
}

/**
 * Sends one delivery again now, with the same webhook-id. It is a single attempt: if it fails,
 * the delivery is failed (again) rather than starting the schedule over.
 */
export async function retryDelivery(
  db: Kysely<Database>,
  boss: PgBoss,
  config: WebhookConfig,
  subscriptionId: string,
  deliveryId: string,
): Promise<QueuedRetry> {
  return db.transaction().execute(async (trx) => {
    const subscription = await getSubscription(trx, subscriptionId)
    if (subscription.status !== 'active') {
      throw new Conflict(`the subscription is ${subscription.status}; make it active to send deliveries`)
    }
    const jobId = randomUUID()
    const row = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: 'pending',
        next_attempt: config.retryDelaysMs.length,
        job_id: jobId,
        next_attempt_at: new Date(),
      })
      .where('id', '=', deliveryId)
      .where('subscription_id', '=', subscriptionId)
      .returning('id')
      .executeTakeFirst()
    if (!row) throw new NotFound(`no delivery ${deliveryId} for webhook subscription ${subscriptionId}`)
    await queueDeliveries(trx, boss, jobsWithin(trx), [{ deliveryId, jobId }])
    return { deliveryId, jobId }
  })
}
