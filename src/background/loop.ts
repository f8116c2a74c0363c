import { isDatabaseUnavailable } from '../db/availability.js'
import type { WakeSignal } from './wake-signal.js'

/** How a turn ended. */
export interface TurnEnd {
  /** What the next turn waits for; without it, the next turn starts at once. */
  readonly rest?: () => Promise<void>
  /** False when the turn stopped short of its work: a run of failures is not ended by it. */
  readonly reachedWork?: boolean
}

export interface Turn {
  /**
   * The work has gone well so far: an error later in the turn starts a new run of failures.
   * (It ends a run without `recovered`, which follows only a turn that returns.)
   */
  succeeded(): void
}

/** A turn that failed, as reported before the pause that follows it. */
export interface Failure {
  readonly unavailable: boolean
  /** Failed turns in a row (an unavailable database does not count where it is retried apart). */
  readonly failures: number
  readonly retryInMs: number
}

export interface LoopOptions {
  /** Ends rests (the step's own, and pauses after errors when `wakeEndsPause`); `stop()` wakes it. */
  readonly signal: WakeSignal
  readonly step: (turn: Turn) => Promise<TurnEnd>
  /** After the nth failed turn in a row: `min(maxMs, firstMs · 2^(n-1))`. */
  readonly backoff: { readonly firstMs: number; readonly maxMs: number }
  /**
   * Set: an unavailable database is nobody's fault — retried after this pause, neither counted
   * as a failure nor backed off. Unset: it is a failed turn like any other.
   */
  readonly unavailableRetryMs?: number
  /** True: a wake ends a pause after an error. False: only `stop()` does. */
  readonly wakeEndsPause: boolean
  /** True: an error that comes once stopping has begun ends the loop unreported. */
  readonly quietOnceStopped: boolean
  readonly failed: (error: unknown, failure: Failure) => void | Promise<void>
  /** After the first turn that reaches its work following failed ones. */
  readonly recovered?: () => Promise<void>
}

export interface Loop {
  /** Resolves when the turn under way (and the pause after it, if any) is over. */
  stop(): Promise<void>
}

/** Runs a step again and again in the background until stopped, backing off on errors. */
export function startLoop(options: LoopOptions): Loop {
  const { signal, backoff } = options
  let running = true

  const pause = async (ms: number): Promise<void> => {
    if (options.wakeEndsPause) return signal.wait(ms, signal.mark())
    const until = Date.now() + ms
    while (running && Date.now() < until) await signal.wait(Math.min(250, until - Date.now()), signal.mark())
  }

  const done = (async () => {
    let failures = 0
    const turn: Turn = {
      succeeded: () => {
        failures = 0
      },
    }
    while (running) {
      let end: TurnEnd
      try {
        end = await options.step(turn)
        if (end.reachedWork !== false && failures > 0) {
          failures = 0
          await options.recovered?.()
        }
      } catch (error) {
        if (!running && options.quietOnceStopped) return
        const unavailable = isDatabaseUnavailable(error)
        if (unavailable && options.unavailableRetryMs !== undefined) {
          await options.failed(error, { unavailable, failures, retryInMs: options.unavailableRetryMs })
          await pause(options.unavailableRetryMs)
          continue
        }
        failures++
        const retryInMs = Math.min(backoff.maxMs, backoff.firstMs * 2 ** (failures - 1))
        await options.failed(error, { unavailable, failures, retryInMs })
        await pause(retryInMs)
        continue
      }
      await end.rest?.()
    }
  })()

  return {
    async stop() {
      running = false
      signal.wake()
      await done
    },
  }
}
