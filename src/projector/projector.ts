import type { Kysely } from 'kysely'
import { startLoop } from '../background/loop.js'
import { WakeSignal } from '../background/wake-signal.js'
import { channels } from '../db/channels.js'
import { listen } from '../db/listen.js'
import type { Database } from '../db/schema.js'
import type { EventStore } from '../store/event-store.js'
import { catchUp } from './catch-up.js'
import type { Projection } from './projection.js'

export interface ProjectorLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface ProjectorOptions {
  readonly db: Kysely<Database>
  readonly store: EventStore
  readonly projections: readonly Projection[]
  /** Where to LISTEN for appends (a connection of its own, outside the pool). */
  readonly databaseUrl: string
  readonly log: ProjectorLog
  readonly batchSize?: number
  /** Catch up at least this often even without a notification. */
  readonly sweepMs?: number
  readonly maxBackoffMs?: number
}

export interface Projector {
  /** Makes every projection look for new events now (in-process appends call this). */
  wake(): void
  /** Stops after the batches in flight; bounded by one batch per projection. */
  stop(): Promise<void>
}

/**
 * Keeps every projection caught up with the log, in the background. Appends wake it through
 * PostgreSQL NOTIFY (any process) and `wake()` (this process); a sweep every `sweepMs` catches
 * anything a lost connection missed. A projection whose handler throws is retried with
 * exponential backoff and reported as failing, without holding up the others.
 */
export function startProjector(options: ProjectorOptions): Projector {
  const { db, store, log } = options
  const batchSize = options.batchSize ?? 1000
  const sweepMs = options.sweepMs ?? 1000
  const maxBackoffMs = options.maxBackoffMs ?? 60_000
  const signal = new WakeSignal()

  const loops = options.projections.map((projection) =>
    startLoop({
      signal,
      step: async () => {
        const seen = signal.mark()
        const generation = await liveGeneration(db, projection.name)
        if (generation !== undefined) await catchUp(db, store, projection, generation, batchSize)
        return { rest: () => signal.wait(sweepMs, seen) }
      },
      backoff: { firstMs: 500, maxMs: maxBackoffMs },
      // Not the projection's fault: try again soon, without backing off or marking it failing.
      unavailableRetryMs: 1000,
      wakeEndsPause: false,
      quietOnceStopped: true,
      failed: async (error, { unavailable, failures, retryInMs }) => {
        if (unavailable) {
          log.warn({ projection: projection.name, err: error }, 'database unavailable; retrying in 1 s')
          return
        }
        log.error({ projection: projection.name, err: error, retryInMs }, 'projection failed')
        await markFailing(db, projection.name, error, failures).catch(() => {})
      },
      recovered: async () => {
        await markRunning(db, projection.name)
        log.info({ projection: projection.name }, 'projection recovered')
      },
    }),
  )
  const listener = listen(
    options.databaseUrl,
    channels.events,
    () => signal.wake(),
    (connected, error) => {
      // After a reconnection, catch up on whatever was appended while not listening.
      if (connected) signal.wake()
      else if (error) log.warn({ err: error }, 'cannot listen for appends; retrying in 1 s')
    },
  )

  return {
    wake: () => signal.wake(),
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()))
      await listener.close()
    },
  }
}

async function liveGeneration(db: Kysely<Database>, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('projections')
    .select('live_generation')
    .where('name', '=', name)
    .executeTakeFirst()
  return row?.live_generation
}

async function markFailing(
  db: Kysely<Database>,
  name: string,
  error: unknown,
  failures: number,
): Promise<void> {
  await db
    .updateTable('projections')
    .set({
      status: 'failing',
      failures,
      last_error: error instanceof Error ? error.message : String(error),
      last_error_at: new Date(),
    })
    .where('name', '=', name)
    .execute()
}

async function markRunning(db: Kysely<Database>, name: string): Promise<void> {
  await db
    .updateTable('projections')
    .set({ status: 'running', failures: 0 })
    .where('name', '=', name)
    .execute()
}
