import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { DateTime } from 'luxon'
import type PgBoss from 'pg-boss'
import type { WebhookConfig } from '../config.js'
import { isDatabaseUnavailable } from '../db/availability.js'
import { listen } from '../db/listen.js'
import type { Database } from '../db/schema.js'
import { WakeSignal } from '../projector/wake-signal.js'
import type { EventStore } from '../store/event-store.js'
import { DELIVERY_CHANNEL, DELIVERY_QUEUE, type DeliveryJobData } from './delivery-jobs.js'
import { honourRetryAfter, retryDelayMs } from './schedule.js'
import { postWebhook } from './sender.js'
import { type Delivery, recordSettlements, type Settlement } from './settlements.js'
import { signatureHeader } from './signing.js'

export interface DeliveryWorkerLog {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface DeliveryWorkerOptions {
  readonly db: Kysely<Database>
  readonly boss: PgBoss
  readonly store: EventStore
  readonly databaseUrl: string
  readonly config: WebhookConfig
  readonly log: DeliveryWorkerLog
  /** Jobs taken and not yet settled, across all endpoints. */
  readonly maxInFlight?: number
}

export interface DeliveryWorker {
  stop(): Promise<void>
}

interface Lane {
  active: number
  readonly waiting: Array<{ jobId: string; delivery: Delivery }>
}

const FETCH_BATCH = 500
const FLUSH_BATCH = 200
const FLUSH_DELAY_MS = 10

/**
 * Sends deliveries. Rather than pg-boss's `work()`, which waits out its polling interval after
 * every fetch, it keeps fetching while it has room and wakes on NOTIFY when jobs are queued.
 * Each endpoint has a lane with a bounded number of attempts in flight, so a slow or failing
 * endpoint holds up only itself; attempts, retries and job completions are written in batches.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { db, boss, config, log } = options
  const maxInFlight = options.maxInFlight ?? 1000
  const maxWaitingPerLane = config.concurrencyPerEndpoint * 20
  const jobsQueued = new WakeSignal()
  const roomMade = new WakeSignal()
  const lanes = new Map<string, Lane>()
  const settled: Settlement[] = []
  let held = 0
  let running = true
  let flushing: Promise<void> | undefined
  let flushTimer: NodeJS.Timeout | undefined

  const listener = listen(
    options.databaseUrl,
    DELIVERY_CHANNEL,
    () => jobsQueued.wake(),
    (connected) => connected && jobsQueued.wake(),
  )

  const settle = (settlement: Settlement) => {
    settled.push(settlement)
    if (settled.length >= FLUSH_BATCH) void flush()
    else flushTimer ??= setTimeout(() => void flush(), FLUSH_DELAY_MS)
  }

  const flush = async (): Promise<void> => {
    clearTimeout(flushTimer)
    flushTimer = undefined
    if (flushing) {
      await flushing
      if (settled.length > 0) return flush()
      return
    }
    const batch = settled.splice(0)
    if (batch.length === 0) return
    flushing = recordSettlements(db, boss, config, batch, log)
      .catch((error: unknown) => {
        log.error({ err: error }, 'could not record webhook attempts; trying again')
        return batch
      })
      .then(async (unrecorded) => {
        held -= batch.length - unrecorded.length
        roomMade.wake()
        if (unrecorded.length === 0) return
        settled.unshift(...unrecorded)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      })
      .finally(() => {
        flushing = undefined
      })
    await flushing
    if (settled.length > 0 && !flushTimer) flushTimer = setTimeout(() => void flush(), FLUSH_DELAY_MS)
  }

  const pump = (subscriptionId: string, lane: Lane) => {
    while (lane.active < config.concurrencyPerEndpoint && lane.waiting.length > 0) {
      const next = lane.waiting.shift()
      if (!next) break
      lane.active++
      void attempt(next.jobId, next.delivery, config)
        .then(settle, (error: unknown) => {
          log.error({ err: error, deliveryId: next.delivery.id }, 'webhook attempt failed unexpectedly')
          settle({
            kind: 'deferred',
            jobId: next.jobId,
            deliveryId: next.delivery.id,
            retryJobId: randomUUID(),
          })
        })
        .finally(() => {
          lane.active--
          pump(subscriptionId, lane)
        })
    }
    if (lane.active === 0 && lane.waiting.length === 0) lanes.delete(subscriptionId)
  }

  const take = (jobId: string, delivery: Delivery) => {
    let lane = lanes.get(delivery.subscriptionId)
    if (!lane) {
      lane = { active: 0, waiting: [] }
      lanes.set(delivery.subscriptionId, lane)
    }
    if (lane.waiting.length >= maxWaitingPerLane) {
      settle({ kind: 'deferred', jobId, deliveryId: delivery.id, retryJobId: randomUUID() })
      return
    }
    lane.waiting.push({ jobId, delivery })
    pump(delivery.subscriptionId, lane)
  }

  const loop = (async () => {
    let failures = 0
    while (running) {
      const queuedMark = jobsQueued.mark()
      const roomMark = roomMade.mark()
      const room = maxInFlight - held
      if (room <= 0) {
        await roomMade.wait(1000, roomMark)
        continue
      }
      try {
        const jobs = await boss.fetch<DeliveryJobData>(DELIVERY_QUEUE, {
          batchSize: Math.min(room, FETCH_BATCH),
        })
        failures = 0
        if (jobs.length === 0) {
          await jobsQueued.wait(500, queuedMark)
          continue
        }
        held += jobs.length
        const deliveries = await loadDeliveries(db, options.store, jobs).catch((error: unknown) => {
          // Put the jobs back for a moment later (written once the database answers again),
          // rather than leaving them to expire.
          for (const job of jobs) {
            settle({
              kind: 'deferred',
              jobId: job.id,
              deliveryId: job.data.deliveryId,
              retryJobId: randomUUID(),
            })
          }
          throw error
        })
        for (const job of jobs) {
          const found = deliveries.get(job.data.deliveryId)
          if (!found || found.jobId !== job.id) settle({ kind: 'stale', jobId: job.id })
          else if (!found.active) settle({ kind: 'released', jobId: job.id, deliveryId: found.delivery.id })
          else take(job.id, found.delivery)
        }
      } catch (error) {
        failures++
        if (isDatabaseUnavailable(error))
          log.warn({ err: error }, 'webhook delivery waiting for the database')
        else log.error({ err: error }, 'webhook delivery loop failed; retrying')
        await jobsQueued.wait(Math.min(500 * 2 ** failures, 30_000), jobsQueued.mark())
      }
    }
  })()

  return {
    async stop() {
      running = false
      jobsQueued.wake()
      roomMade.wake()
      await loop
      // Attempts under way finish (each is bounded by the timeout); waiting ones go back to the queue.
      for (const lane of lanes.values()) {
        for (const w of lane.waiting.splice(0)) {
          settle({ kind: 'deferred', jobId: w.jobId, deliveryId: w.delivery.id, retryJobId: randomUUID() })
        }
      }
      const deadline = Date.now() + config.timeoutMs + 1000
      while ([...lanes.values()].some((l) => l.active > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await flush()
      await flushing
      await listener.close()
    },
  }
}

async function loadDeliveries(
  db: Kysely<Database>,
  store: EventStore,
  jobs: ReadonlyArray<PgBoss.Job<DeliveryJobData>>,
): Promise<Map<string, { jobId: string | null; active: boolean; delivery: Delivery }>> {
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
  const found = new Map<string, { jobId: string | null; active: boolean; delivery: Delivery }>()
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

/** Signs and sends one delivery, and decides what comes next. */
async function attempt(jobId: string, delivery: Delivery, config: WebhookConfig): Promise<Settlement> {
  const { event } = delivery
  const body = JSON.stringify({ type: event.type, timestamp: event.recordedAt, data: event })
  const timestamp = new Date()
  const headers = {
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatureHeader(delivery.secrets, delivery.id, timestamp, body),
  }
  const result = await postWebhook(delivery.url, headers, body, config)
  const code = result.statusCode
  if (code !== undefined && code >= 200 && code < 300) {
    return { kind: 'attempted', jobId, delivery, result, status: 'delivered', retry: undefined, gone: false }
  }
  // 410 Gone: the receiver says the endpoint no longer exists.
  if (code === 410) {
    return { kind: 'attempted', jobId, delivery, result, status: 'failed', retry: undefined, gone: true }
  }
  const scheduled = retryDelayMs(config.retryDelaysMs, delivery.nextAttempt)
  if (scheduled === undefined) {
    return { kind: 'attempted', jobId, delivery, result, status: 'failed', retry: undefined, gone: false }
  }
  const delay =
    code === 429 || code === 503
      ? honourRetryAfter(scheduled, result.retryAfter, DateTime.now(), Math.max(...config.retryDelaysMs))
      : scheduled
  return {
    kind: 'attempted',
    jobId,
    delivery,
    result,
    status: 'pending',
    retry: { jobId: randomUUID(), at: new Date(Date.now() + delay) },
    gone: false,
  }
}
