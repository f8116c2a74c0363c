import { type Kysely, sql } from 'kysely'
import type PgBoss from 'pg-boss'
import type { RecordedEvent } from '../catalogue/event-type.js'
import { storableText } from '../catalogue/storable-text.js'
import type { WebhookConfig } from '../config.js'
import { isDatabaseUnavailable } from '../db/availability.js'
import type { Database, DeliveryStatus } from '../db/schema.js'
import { jobsWithin } from '../jobs.js'
import { DELIVERY_QUEUE, queueDeliveries } from './delivery-jobs.js'
import type { AttemptResult } from './sender.js'

/** One delivery as a job sends it. */
export interface Delivery {
  readonly id: string
  readonly jobId: string
  readonly subscriptionId: string
  readonly url: string
  readonly secrets: readonly string[]
  readonly nextAttempt: number
  readonly event: RecordedEvent
}

/** How a job ended; settlements are written in batches, each with its job's completion. */
export type Settlement =
  | {
      readonly kind: 'attempted'
      readonly jobId: string
      readonly delivery: Delivery
      readonly result: AttemptResult
      readonly status: DeliveryStatus
      readonly retry: { readonly jobId: string; readonly at: Date } | undefined
      readonly gone: boolean
    }
  /** The subscription is paused or disabled: the delivery waits, without a job, until it is active. */
  | { readonly kind: 'released'; readonly jobId: string; readonly deliveryId: string }
  /** Its endpoint has enough waiting already: sent again a moment later, by a new job. */
  | {
      readonly kind: 'deferred'
      readonly jobId: string
      readonly deliveryId: string
      readonly retryJobId: string
    }
  /** The delivery is gone or belongs to another job now. */
  | { readonly kind: 'stale'; readonly jobId: string }

type Attempted = Extract<Settlement, { kind: 'attempted' }>

export interface SettlementLog {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** A job put back is handed out again this long after. */
const DEFER_MS = 1000

/**
 * Records settlements, a batch per transaction. A batch PostgreSQL refuses is halved and each
 * half recorded on its own, so one settlement it cannot take holds up no other; one that it
 * refuses alone is recorded without what was refused (see `withoutWhatWasRefused`). Returns what
 * is still to be recorded: the settlements the database was unavailable for, to try again later.
 */
export async function recordSettlements(
  db: Kysely<Database>,
  boss: PgBoss,
  config: WebhookConfig,
  batch: readonly Settlement[],
  log: SettlementLog,
): Promise<Settlement[]> {
  try {
    await writeSettlements(db, boss, config, batch)
    return []
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      log.warn({ err: error }, 'could not record webhook attempts; trying again')
      return [...batch]
    }
    const [alone] = batch
    if (batch.length === 1 && alone) return recordRefused(db, boss, config, alone, error, log)
    const middle = Math.ceil(batch.length / 2)
    const first = await recordSettlements(db, boss, config, batch.slice(0, middle), log)
    if (first.length > 0) return [...first, ...batch.slice(middle)]
    return recordSettlements(db, boss, config, batch.slice(middle), log)
  }
}

async function recordRefused(
  db: Kysely<Database>,
  boss: PgBoss,
  config: WebhookConfig,
  settlement: Settlement,
  refusal: unknown,
  log: SettlementLog,
): Promise<Settlement[]> {
  const reduced = settlement.kind === 'attempted' ? withoutWhatWasRefused(settlement, refusal) : undefined
  log.error(
    { err: refusal, jobId: settlement.jobId, kind: settlement.kind },
    reduced
      ? 'PostgreSQL refused a webhook attempt; it is recorded without its answer'
      : 'PostgreSQL refused a webhook settlement; its job is handed out again when it expires',
  )
  if (!reduced) return []
  try {
    await writeSettlements(db, boss, config, [reduced])
    return []
  } catch (error) {
    if (isDatabaseUnavailable(error)) return [settlement]
    // Nothing of it is recorded: the job stays active, and pg-boss hands it out again once it expires.
    log.error(
      { err: error, jobId: settlement.jobId },
      'PostgreSQL refused a webhook attempt even without its answer',
    )
    return []
  }
}

/**
 * An attempt as it can be recorded when PostgreSQL refused it as it was: without the answer's
 * body, the refusal as its error, and the delivery ended (failed, unless the receiver took it),
 * rather than retried without end.
 */
function withoutWhatWasRefused(attempt: Attempted, refusal: unknown): Attempted {
  const reason = refusal instanceof Error ? refusal.message : String(refusal)
  return {
    ...attempt,
    result: {
      ...attempt.result,
      responseBody: undefined,
      error: `the attempt could not be recorded as it was (PostgreSQL: ${reason.slice(0, 300)})`,
    },
    status: attempt.status === 'delivered' ? 'delivered' : 'failed',
    retry: undefined,
  }
}

/**
 * Records a batch of settlements in one transaction: attempts, delivery states, subscription
 * health, retry jobs and the completion of every job. If it fails, nothing of it happened.
 */
async function writeSettlements(
  db: Kysely<Database>,
  boss: PgBoss,
  config: WebhookConfig,
  batch: readonly Settlement[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const within = jobsWithin(trx)
    const attempts = batch.flatMap((s) => (s.kind === 'attempted' ? [s] : []))
    if (attempts.length > 0) await recordAttempts(trx, attempts)
    await recordHealth(trx, attempts, config.disableAfterMs)

    const released = batch.flatMap((s) => (s.kind === 'released' ? [s] : []))
    for (const r of released) {
      await trx
        .updateTable('webhook_deliveries')
        .set({ job_id: null, next_attempt_at: null })
        .where('id', '=', r.deliveryId)
        .where('job_id', '=', r.jobId)
        .execute()
    }
    const deferred = batch.flatMap((s) => (s.kind === 'deferred' ? [s] : []))
    const later = new Date(Date.now() + DEFER_MS)
    for (const d of deferred) {
      await trx
        .updateTable('webhook_deliveries')
        .set({ job_id: d.retryJobId, next_attempt_at: later })
        .where('id', '=', d.deliveryId)
        .where('job_id', '=', d.jobId)
        .execute()
    }
    await queueDeliveries(trx, boss, within, [
      ...attempts.flatMap((a) =>
        a.retry ? [{ deliveryId: a.delivery.id, jobId: a.retry.jobId, startAfter: a.retry.at }] : [],
      ),
      ...deferred.map((d) => ({ deliveryId: d.deliveryId, jobId: d.retryJobId, startAfter: later })),
    ])
    await boss.complete(
      DELIVERY_QUEUE,
      batch.map((s) => s.jobId),
      within,
    )
  })
}

async function recordAttempts(trx: Kysely<Database>, attempts: readonly Attempted[]): Promise<void> {
  const rows = attempts.map((a) => ({
    delivery_id: a.delivery.id,
    job_id: a.jobId,
    attempted_at: a.result.attemptedAt.toISOString(),
    duration_ms: a.result.durationMs,
    status_code: a.result.statusCode ?? null,
    error: a.result.error === undefined ? null : storableText(a.result.error),
    response_body: a.result.responseBody === undefined ? null : storableText(a.result.responseBody),
    status: a.status,
    next_job_id: a.retry?.jobId ?? null,
    next_attempt_at: a.retry?.at.toISOString() ?? null,
  }))
  // A delivery whose job was superseded meanwhile (a manual retry) keeps the newer job's plan;
  // the attempt is recorded all the same, and a success counts whoever made it.
  await sql`
    with x as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x (
        delivery_id uuid, job_id uuid, attempted_at timestamptz, duration_ms integer,
        status_code integer, error text, response_body text, status text,
        next_job_id uuid, next_attempt_at timestamptz
      )
    ),
    updated as (
      update webhook_deliveries d set
        attempt_count = d.attempt_count + 1,
        last_attempt_at = x.attempted_at,
        delivered_at = case when x.status = 'delivered' then coalesce(d.delivered_at, x.attempted_at) else d.delivered_at end,
        status = case when d.job_id = x.job_id or x.status = 'delivered' then x.status else d.status end,
        next_attempt = case when d.job_id = x.job_id then d.next_attempt + 1 else d.next_attempt end,
        next_attempt_at = case when d.job_id = x.job_id then x.next_attempt_at else d.next_attempt_at end,
        job_id = case when d.job_id = x.job_id then x.next_job_id else d.job_id end
      from x
      where d.id = x.delivery_id
      returning d.id, d.attempt_count
    )
    insert into webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error, response_body)
    select x.delivery_id, u.attempt_count, x.attempted_at, x.duration_ms, x.status_code, x.error, x.response_body
    from x join updated u on u.id = x.delivery_id
  `.execute(trx)
}

/**
 * An endpoint that answers 410 Gone is disabled at once; one that has failed every attempt for
 * `disableAfterMs` is disabled too. Any success ends a failing streak.
 */
async function recordHealth(
  trx: Kysely<Database>,
  attempts: readonly Attempted[],
  disableAfterMs: number,
): Promise<void> {
  const health = new Map<string, { succeeded: boolean; firstFailure: string | null; gone: boolean }>()
  for (const a of attempts) {
    const h = health.get(a.delivery.subscriptionId) ?? { succeeded: false, firstFailure: null, gone: false }
    if (a.status === 'delivered') h.succeeded = true
    else h.firstFailure ??= a.result.attemptedAt.toISOString()
    if (a.gone) h.gone = true
    health.set(a.delivery.subscriptionId, h)
  }
  if (health.size === 0) return
  const rows = [...health].map(([id, h]) => ({
    id,
    succeeded: h.succeeded,
    first_failure: h.firstFailure,
    gone: h.gone,
  }))
  await sql`
    update webhook_subscriptions s set
      failing_since = case when x.succeeded then null else coalesce(s.failing_since, x.first_failure) end,
      status = case
        when s.status <> 'active' then s.status
        when x.gone then 'disabled'
        when not x.succeeded and coalesce(s.failing_since, x.first_failure) <= now() - ${disableAfterMs} * interval '1 millisecond'
          then 'disabled'
        else s.status end,
      disabled_reason = case
        when s.status <> 'active' then s.disabled_reason
        when x.gone then 'the endpoint answered 410 Gone'
        when not x.succeeded and coalesce(s.failing_since, x.first_failure) <= now() - ${disableAfterMs} * interval '1 millisecond'
          then 'every delivery failed since ' || to_char(coalesce(s.failing_since, x.first_failure) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        else s.disabled_reason end,
      updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x (id uuid, succeeded boolean, first_failure timestamptz, gone boolean)
    -- A success that ends no streak changes nothing: leave the row alone.
    where s.id = x.id and (not x.succeeded or x.gone or s.failing_since is not null)
  `.execute(trx)
}
