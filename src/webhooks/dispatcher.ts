import { type Kysely, sql } from 'kysely'
import type PgBoss from 'pg-boss'
import { startLoop } from '../background/loop.js'
import { WakeSignal } from '../background/wake-signal.js'
import type { Catalogue } from '../catalogue/catalogue.js'
import { channels } from '../db/channels.js'
import { listen } from '../db/listen.js'
import type { Database } from '../db/schema.js'
import { jobsWithin } from '../jobs.js'
import type { EventStore } from '../store/event-store.js'
import { queueDeliveries } from './delivery-jobs.js'
import { type MatchableEvent, matches, type SubscriptionFilter, subscriptionFilter } from './matching.js'

export interface DispatcherLog {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface DispatcherOptions {
  readonly db: Kysely<Database>
  readonly store: EventStore
  readonly catalogue: Catalogue
  readonly boss: PgBoss
  readonly databaseUrl: string
  readonly log: DispatcherLog
  readonly batchSize?: number
}

export interface Dispatcher {
  stop(): Promise<void>
}

interface Candidate {
  readonly filter: SubscriptionFilter
  readonly active: boolean
  /** Live deliveries start after this position; replays have none. */
  readonly after: number
}

/**
 * Turns new facts into deliveries. It reads the log with the store's no-skip reader from a
 * checkpoint of its own, records one delivery per matching subscription × event and queues its
 * job, all in the transaction that moves the checkpoint: a crash repeats a batch, never loses
 * or doubles one (the unique index drops repeats). Replays run through the same path.
 * Any number of workers may run it; the checkpoint row's lock lets one at a time through.
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { log } = options
  const signal = new WakeSignal()
  const listener = listen(
    options.databaseUrl,
    channels.events,
    () => signal.wake(),
    (connected) => connected && signal.wake(),
  )
  const loop = startLoop({
    signal,
    step: async () => {
      const mark = signal.mark()
      const moved = (await dispatchNextBatch(options)) || (await advanceReplay(options))
      return moved ? {} : { rest: () => signal.wait(1000, mark) }
    },
    backoff: { firstMs: 1000, maxMs: 30_000 },
    wakeEndsPause: true,
    quietOnceStopped: false,
    failed: (error, { unavailable }) => {
      if (unavailable) log.warn({ err: error }, 'webhook dispatcher waiting for the database')
      else log.error({ err: error }, 'webhook dispatcher failed; retrying')
    },
  })

  return {
    async stop() {
      await loop.stop()
      await listener.close()
    },
  }
}

/** One batch of the live log. False when there was nothing to do (or another worker has it). */
export async function dispatchNextBatch(options: DispatcherOptions): Promise<boolean> {
  return options.db.transaction().execute(async (trx) => {
    const checkpoint = await sql<{ position: number }>`
      select position from webhook_dispatcher for update skip locked
    `.execute(trx)
    const from = checkpoint.rows[0]?.position
    if (from === undefined) return false
    const events = await options.store.readLogAfter(from, options.batchSize ?? 1000, trx)
    const last = events.at(-1)
    if (!last) return false
    const subscriptions = await trx
      .selectFrom('webhook_subscriptions')
      .select(['id', 'types', 'subjects', 'status', 'start_position'])
      .where('status', '!=', 'disabled')
      .execute()
    const candidates = subscriptions.map((s) => ({
      filter: subscriptionFilter(options.catalogue, s),
      active: s.status === 'active',
      after: s.start_position,
    }))
    await recordDeliveries(trx, options.boss, candidates, events, null)
    await trx
      .updateTable('webhook_dispatcher')
      .set({ position: last.position, updated_at: new Date() })
      .execute()
    return true
  })
}

/** One batch of the oldest unfinished replay. */
async function advanceReplay(options: DispatcherOptions): Promise<boolean> {
  return options.db.transaction().execute(async (trx) => {
    const replay = await trx
      .selectFrom('webhook_replays as r')
      .innerJoin('webhook_subscriptions as s', 's.id', 'r.subscription_id')
      .select([
        'r.id',
        'r.position',
        'r.to_position',
        's.id as subscriptionId',
        's.types',
        's.subjects',
        's.status',
      ])
      .where('r.completed_at', 'is', null)
      .orderBy('r.created_at')
      .limit(1)
      .forUpdate('r')
      .skipLocked()
      .executeTakeFirst()
    if (!replay) return false
    const limit = Math.min(options.batchSize ?? 1000, replay.to_position - replay.position)
    const events = limit > 0 ? await options.store.readLogAfter(replay.position, limit, trx) : []
    const candidate: Candidate = {
      filter: subscriptionFilter(options.catalogue, { ...replay, id: replay.subscriptionId }),
      active: replay.status === 'active',
      after: 0,
    }
    await recordDeliveries(trx, options.boss, [candidate], events, replay.id)
    const position = events.at(-1)?.position ?? replay.to_position
    const done = events.length < limit || position >= replay.to_position
    await trx
      .updateTable('webhook_replays')
      .set({ position, ...(done ? { completed_at: new Date() } : {}) })
      .where('id', '=', replay.id)
      .execute()
    return true
  })
}

async function recordDeliveries(
  trx: Kysely<Database>,
  boss: PgBoss,
  candidates: readonly Candidate[],
  events: ReadonlyArray<MatchableEvent & { id: string }>,
  replayId: string | null,
): Promise<void> {
  const subscriptionIds: string[] = []
  const positions: number[] = []
  const eventIds: string[] = []
  const active: boolean[] = []
  for (const event of events) {
    for (const c of candidates) {
      if (event.position > c.after && matches(c.filter, event)) {
        subscriptionIds.push(c.filter.id)
        positions.push(event.position)
        eventIds.push(event.id)
        active.push(c.active)
      }
    }
  }
  if (subscriptionIds.length === 0) return
  // A paused subscription's deliveries wait without a job; resuming it queues them.
  const { rows } = await sql<{ id: string; job_id: string | null }>`
    insert into webhook_deliveries (id, subscription_id, event_position, event_id, replay_id, job_id)
    select gen_random_uuid(), t.subscription_id, t.position, t.event_id, ${replayId}::uuid,
           case when t.active then gen_random_uuid() end
    from unnest(${subscriptionIds}::uuid[], ${positions}::bigint[], ${eventIds}::uuid[], ${active}::boolean[])
      as t (subscription_id, position, event_id, active)
    on conflict do nothing
    returning id, job_id
  `.execute(trx)
  const queued = rows.flatMap((r) => (r.job_id ? [{ deliveryId: r.id, jobId: r.job_id }] : []))
  await queueDeliveries(trx, boss, jobsWithin(trx), queued)
}
