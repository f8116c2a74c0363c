import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type PgBoss from 'pg-boss'
import { startLoop, type Turn, type TurnEnd } from '../background/loop.js'
import { WakeSignal } from '../background/wake-signal.js'
import type { WebhookConfig } from '../config.js'
import { listen } from '../db/listen.js'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import { attemptDelivery } from './attempt.js'
import { DELIVERY_CHANNEL, DELIVERY_QUEUE, type DeliveryJobData } from './delivery-jobs.js'
import { loadDeliveries } from './load-deliveries.js'
import { settlementBatches } from './settlement-batches.js'
import type { Delivery, Settlement } from './settlements.js'

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
  let held = 0
  const { settle, drain } = settlementBatches({
    db,
    boss,
    config,
    log,
    recorded: (count) => {
      held -= count
      roomMade.wake()
    },
  })
  const deferred = (jobId: string, deliveryId: string): Settlement => ({
    kind: 'deferred',
    jobId,
    deliveryId,
    retryJobId: randomUUID(),
  })

  const listener = listen(
    options.databaseUrl,
    DELIVERY_CHANNEL,
    () => jobsQueued.wake(),
    (connected) => connected && jobsQueued.wake(),
  )

  const pump = (subscriptionId: string, lane: Lane) => {
    while (lane.active < config.concurrencyPerEndpoint && lane.waiting.length > 0) {
      const next = lane.waiting.shift()
      if (!next) break
      lane.active++
      void attemptDelivery(next.jobId, next.delivery, config)
        .then(settle, (error: unknown) => {
          log.error({ err: error, deliveryId: next.delivery.id }, 'webhook attempt failed unexpectedly')
          settle(deferred(next.jobId, next.delivery.id))
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
      settle(deferred(jobId, delivery.id))
      return
    }
    lane.waiting.push({ jobId, delivery })
    pump(delivery.subscriptionId, lane)
  }

  const fetchAndTake = async (turn: Turn): Promise<TurnEnd> => {
    const queuedMark = jobsQueued.mark()
    const roomMark = roomMade.mark()
    const room = maxInFlight - held
    if (room <= 0) return { rest: () => roomMade.wait(1000, roomMark), reachedWork: false }
    const jobs = await boss.fetch<DeliveryJobData>(DELIVERY_QUEUE, { batchSize: Math.min(room, FETCH_BATCH) })
    turn.succeeded()
    if (jobs.length === 0) return { rest: () => jobsQueued.wait(500, queuedMark) }
    held += jobs.length
    const deliveries = await loadDeliveries(db, options.store, jobs).catch((error: unknown) => {
      // Put the jobs back for a moment later (written once the database answers again),
      // rather than leaving them to expire.
      for (const job of jobs) settle(deferred(job.id, job.data.deliveryId))
      throw error
    })
    for (const job of jobs) {
      const found = deliveries.get(job.data.deliveryId)
      if (!found || found.jobId !== job.id) settle({ kind: 'stale', jobId: job.id })
      else if (!found.active) settle({ kind: 'released', jobId: job.id, deliveryId: found.delivery.id })
      else take(job.id, found.delivery)
    }
    return {}
  }

  const loop = startLoop({
    signal: jobsQueued,
    step: fetchAndTake,
    backoff: { firstMs: 1000, maxMs: 30_000 },
    wakeEndsPause: true,
    quietOnceStopped: false,
    failed: (error, { unavailable }) => {
      if (unavailable) log.warn({ err: error }, 'webhook delivery waiting for the database')
      else log.error({ err: error }, 'webhook delivery loop failed; retrying')
    },
  })

  return {
    async stop() {
      const stopped = loop.stop()
      roomMade.wake()
      await stopped
      // Attempts under way finish (each is bounded by the timeout); waiting ones go back to the queue.
      for (const lane of lanes.values()) {
        for (const w of lane.waiting.splice(0)) settle(deferred(w.jobId, w.delivery.id))
      }
      const deadline = Date.now() + config.timeoutMs + 1000
      while ([...lanes.values()].some((l) => l.active > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await drain()
      await listener.close()
    },
  }
}
