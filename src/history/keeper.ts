import type { Kysely } from 'kysely'
import { startLoop } from '../background/loop.js'
import { WakeSignal } from '../background/wake-signal.js'
import { channels } from '../db/channels.js'
import { listen } from '../db/listen.js'
import type { Database } from '../db/schema.js'
import type { Comparable } from '../diff/model.js'
import { headPosition } from '../store/sql/head.js'
import { keepHistories, newKeepState } from './kept.js'

export interface HistoryKeeperOptions {
  readonly db: Kysely<Database>
  readonly databaseUrl: string
  readonly comparables: readonly Comparable[]
  readonly marketTz: string
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void }
  /** The least time between two turns: a subject written to all the time is made at most this often. */
  readonly pauseMs?: number
}

export interface HistoryKeeper {
  stop(): Promise<void>
}

/**
 * Keeps subjects' histories (src/history/kept.ts) in the background: a turn after the read models
 * move, at most one per `pauseMs`, and only once they have applied the whole log — while they
 * catch up, the cores are theirs. Any number of workers may run it: two that make the same history
 * write the same row.
 */
export function startHistoryKeeper(options: HistoryKeeperOptions): HistoryKeeper {
  const { db, log, pauseMs = 1000 } = options
  const signal = new WakeSignal()
  /** Ends the pause between turns, which read-model wakes do not. */
  const stopped = new WakeSignal()
  const state = newKeepState()
  let stopping = false
  const listener = listen(
    options.databaseUrl,
    channels.readModels,
    () => signal.wake(),
    (connected) => connected && signal.wake(),
  )
  const keep = { ...options, stopping: () => stopping }
  const loop = startLoop({
    signal,
    step: async (turn) => {
      const mark = signal.mark()
      const head = await headPosition(db)
      await keepHistories(keep, state, head)
      turn.succeeded()
      return {
        rest: async () => {
          await stopped.wait(pauseMs, stopped.mark())
          // Subjects left by a turn cut short are taken up after the pause alone.
          if (!stopping && state.pending.size === 0) await signal.wait(60_000, mark)
        },
      }
    },
    backoff: { firstMs: 1000, maxMs: 30_000 },
    wakeEndsPause: true,
    quietOnceStopped: true,
    failed: (error, { unavailable }) => {
      if (unavailable) log.warn({ err: error }, 'history keeper waiting for the database')
      else log.error({ err: error }, 'history keeper failed; retrying')
    },
  })
  return {
    async stop() {
      stopping = true
      stopped.wake()
      await loop.stop()
      await listener.close()
    },
  }
}
