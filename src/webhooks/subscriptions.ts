import { randomUUID } from 'node:crypto'
import { type Kysely, type Selectable, sql } from 'kysely'
import type PgBoss from 'pg-boss'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { WebhookConfig } from '../config.js'
import type {
  Database,
  DeliveryStatus,
  SubscriptionStatus,
  WebhookAttemptsTable,
  WebhookSubscriptionsTable,
} from '../db/schema.js'
import { Conflict, InvalidInput, NotFound, UnsafeWebhookUrl } from '../errors.js'
import { jobsWithin } from '../jobs.js'
import { headPosition, logHead } from '../store/sql/head.js'
import { resolveEndpoint, UnsafeUrl } from './address-guard.js'
import { queueDeliveries } from './delivery-jobs.js'
import { newSecret } from './signing.js'

/** A rotated secret still signs (beside the new one) for this long. */
export const ROTATION_GRACE_MS = 24 * 3600 * 1000

export interface Subscription {
  readonly id: string
  readonly url: string
  readonly types: string[]
  readonly subjects: string[]
  readonly description: string | null
  readonly status: SubscriptionStatus
  readonly disabledReason: string | null
  readonly failingSince: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface SubscriptionInput {
  readonly url: string
  readonly types?: readonly string[] | undefined
  readonly subjects?: readonly string[] | undefined
  readonly description?: string | null | undefined
}

export interface SubscriptionChange extends Partial<SubscriptionInput> {
  readonly status?: SubscriptionStatus | undefined
}

function toSubscription(row: Selectable<WebhookSubscriptionsTable>): Subscription {
  return {
    id: row.id,
    url: row.url,
    types: row.types,
    subjects: row.subjects,
    description: row.description,
    status: row.status,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Refuses a URL into a private network and type patterns that name nothing in the catalogue. */
export async function checkSubscription(
  catalogue: Catalogue,
  config: WebhookConfig,
  input: Partial<SubscriptionInput>,
): Promise<void> {
  input.types?.forEach((pattern, i) => {
    if (catalogue.typesMatching(pattern).length === 0) {
      throw new InvalidInput(`/types/${i}: '${pattern}' matches no event type`, [
        { path: `/types/${i}`, message: `'${pattern}' matches no event type in the catalogue` },
      ])
    }
  })
  if (input.url !== undefined) {
    try {
      await resolveEndpoint(input.url, config.allowPrivate)
    } catch (error) {
      if (error instanceof UnsafeUrl) throw new UnsafeWebhookUrl('/url', error.message)
      throw error
    }
  }
}

/** A new subscription receives the facts recorded after it, and its secret (shown this once). */
export async function createSubscription(
  db: Kysely<Database>,
  input: SubscriptionInput,
): Promise<Subscription & { secret: string }> {
  const secret = newSecret()
  const row = await db
    .insertInto('webhook_subscriptions')
    .values({
      id: randomUUID(),
      url: input.url,
      types: [...(input.types ?? ['*'])],
      subjects: [...(input.subjects ?? [])],
      description: input.description ?? null,
      status: 'active',
      disabled_reason: null,
      secret,
      previous_secret: null,
      previous_secret_until: null,
      start_position: logHead,
      failing_since: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...toSubscription(row), secret }
}

export async function listSubscriptions(db: Kysely<Database>): Promise<Subscription[]> {
  const rows = await db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').execute()
  return rows.map(toSubscription)
}

export async function getSubscription(db: Kysely<Database>, id: string): Promise<Subscription> {
  const row = await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`no webhook subscription ${id}`)
  return toSubscription(row)
}

/**
 * Changes a subscription. Making it active again clears its failing streak and queues every
 * delivery that waited while it was paused or disabled.
 */
export async function updateSubscription(
  db: Kysely<Database>,
  boss: PgBoss | undefined,
  id: string,
  change: SubscriptionChange,
): Promise<Subscription> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('webhook_subscriptions')
      .select('status')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst()
    if (!current) throw new NotFound(`no webhook subscription ${id}`)
    const reactivated = change.status === 'active' && current.status !== 'active'
    if (reactivated && !boss) throw new Conflict('this process has no job queue to resume deliveries')
    const row = await trx
      .updateTable('webhook_subscriptions')
      .set({
        ...(change.url !== undefined ? { url: change.url } : {}),
        ...(change.types !== undefined ? { types: [...change.types] } : {}),
        ...(change.subjects !== undefined ? { subjects: [...change.subjects] } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
        ...(change.status === 'active' ? { disabled_reason: null, failing_since: null } : {}),
        ...(change.status === 'disabled' && current.status !== 'disabled'
          ? { disabled_reason: 'disabled by an administrator' }
          : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
    if (reactivated && boss) {
      const waiting = await sql<{ id: string; job_id: string }>`
        update webhook_deliveries set job_id = gen_random_uuid(), next_attempt_at = now()
        where subscription_id = ${id} and status = 'pending' and job_id is null
        returning id, job_id
      `.execute(trx)
      await queueDeliveries(
        trx,
        boss,
        jobsWithin(trx),
        waiting.rows.map((r) => ({ deliveryId: r.id, jobId: r.job_id })),
      )
    }
    return toSubscription(row)
  })
}

export async function deleteSubscription(db: Kysely<Database>, id: string): Promise<void> {
  const result = await db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst()
  if (result.numDeletedRows === 0n) throw new NotFound(`no webhook subscription ${id}`)
}

export interface SecretInfo {
  readonly secret: string
  /** Until then the previous secret signs too. */
  readonly previousSecretExpiresAt: string | null
}

export async function getSecret(db: Kysely<Database>, id: string): Promise<SecretInfo> {
  const row = await db
    .selectFrom('webhook_subscriptions')
    .select(['secret', 'previous_secret_until'])
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw new NotFound(`no webhook subscription ${id}`)
  const until = row.previous_secret_until
  return {
    secret: row.secret,
    previousSecretExpiresAt: until && until.getTime() > Date.now() ? until.toISOString() : null,
  }
}

/** A new secret; the old one keeps signing beside it for 24 hours. */
export async function rotateSecret(db: Kysely<Database>, id: string): Promise<SecretInfo> {
  const secret = newSecret()
  const until = new Date(Date.now() + ROTATION_GRACE_MS)
  const row = await db
    .updateTable('webhook_subscriptions')
    .set({
      previous_secret: sql<string>`secret`,
      previous_secret_until: until,
      secret,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst()
  if (!row) throw new NotFound(`no webhook subscription ${id}`)
  return { secret, previousSecretExpiresAt: until.toISOString() }
}

export interface Attempt {
  readonly attempt: number
  readonly attemptedAt: string
  readonly durationMs: number
  readonly statusCode: number | null
  readonly error: string | null
  readonly responseBody: string | null
}

export interface DeliveryRecord {
  readonly id: string
  readonly eventId: string
  readonly eventPosition: number
  readonly eventType: string
  readonly subject: string
  readonly status: DeliveryStatus
  readonly replayId: string | null
  readonly attemptCount: number
  readonly nextAttemptAt: string | null
  readonly createdAt: string
  readonly deliveredAt: string | null
  readonly attempts: Attempt[]
}

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

/** The delivery log of a subscription, newest first, each delivery with every attempt. */
export async function listDeliveries(
  db: Kysely<Database>,
  subscriptionId: string,
  filter: { status?: DeliveryStatus | undefined; before?: number | undefined; limit: number },
): Promise<{ deliveries: DeliveryRecord[]; next: number | null }> {
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
  if (filter.before !== undefined) query = query.where('d.seq', '<', filter.before)
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
): Promise<{ deliveryId: string; jobId: string }> {
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

export interface Replay {
  readonly id: string
  readonly subscriptionId: string
  /** The first and last positions of the log it covers (last < first: nothing to replay). */
  readonly fromPosition: number
  readonly toPosition: number
  /** How far it has got. */
  readonly position: number
  readonly deliveries: number
  readonly createdAt: string
  readonly completedAt: string | null
}

/**
 * Queues history for sending again: every matching event from `fromPosition`, or recorded since
 * `since`, up to the head now. The dispatcher records new deliveries (marked with the replay)
 * in batches, so a long replay does not hold the request.
 */
export async function requestReplay(
  db: Kysely<Database>,
  subscriptionId: string,
  from: { fromPosition?: number | undefined; since?: Date | undefined },
): Promise<Replay> {
  const id = await db.transaction().execute(async (trx) => {
    const subscription = await getSubscription(trx, subscriptionId)
    if (subscription.status === 'disabled') {
      throw new Conflict('the subscription is disabled; make it active (PATCH status) before replaying')
    }
    const first =
      from.fromPosition ??
      (
        await trx
          .selectFrom('events')
          .select((eb) => eb.fn.min('position').as('position'))
          .where('recorded_at', '>=', from.since ?? new Date(0))
          .executeTakeFirst()
      )?.position
    const to = await headPosition(trx)
    const start = first ?? to + 1
    const replayId = randomUUID()
    await trx
      .insertInto('webhook_replays')
      .values({
        id: replayId,
        subscription_id: subscriptionId,
        from_position: start,
        to_position: to,
        position: start - 1,
        completed_at: start > to ? new Date() : null,
      })
      .execute()
    // Wakes the dispatchers, which listen for appends.
    await sql`select pg_notify('mt_events', 'replay')`.execute(trx)
    return replayId
  })
  return getReplay(db, subscriptionId, id)
}

export async function getReplay(db: Kysely<Database>, subscriptionId: string, id: string): Promise<Replay> {
  const row = await db
    .selectFrom('webhook_replays as r')
    .select([
      'r.id',
      'r.subscription_id',
      'r.from_position',
      'r.to_position',
      'r.position',
      'r.created_at',
      'r.completed_at',
      (eb) =>
        eb
          .selectFrom('webhook_deliveries as d')
          .select((c) => c.fn.countAll<number>().as('n'))
          .whereRef('d.replay_id', '=', 'r.id')
          .as('deliveries'),
    ])
    .where('r.id', '=', id)
    .where('r.subscription_id', '=', subscriptionId)
    .executeTakeFirst()
  if (!row) throw new NotFound(`no replay ${id} for webhook subscription ${subscriptionId}`)
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    fromPosition: row.from_position,
    toPosition: row.to_position,
    position: Math.max(row.position, row.from_position - 1),
    deliveries: Number(row.deliveries ?? 0),
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  }
}
