import type { FastifyRequest } from 'fastify'
import { TooManyInProgress } from '../errors.js'

/** Who is asking: the API key, or the address of a request without one (as the rate limit counts). */
export function callerOf(request: FastifyRequest): string {
  return request.caller ? `key:${request.caller.keyId}` : `address:${request.ip}`
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void

/** What a set of slots counts, as its refusal names it. */
export interface SlotsCounted {
  /** Plural, as in "this caller already has 2 …". */
  readonly what: string
  /** The setting that gives the limit. */
  readonly setting: string
}

/** Report replays and NDJSON exports: reads of the whole log. */
export const longReads: SlotsCounted = {
  what: 'reports or full-log reads',
  setting: 'REPORT_READS_PER_CALLER',
}

/**
 * At most `limit` long requests in progress per caller, in this process; 0 = no limit. A caller
 * beyond it is refused at once (429) rather than queued, so one caller cannot hold every connection
 * of the pool those reads share, or every stream a process can follow.
 */
export class CallerSlots {
  private readonly inUse = new Map<string, number>()

  constructor(
    private readonly limit: number,
    private readonly counted: SlotsCounted = longReads,
    private readonly retryAfterSeconds = 5,
  ) {}

  take(caller: string): Release {
    const held = this.inUse.get(caller) ?? 0
    if (this.limit > 0 && held >= this.limit) {
      const { what, setting } = this.counted
      throw new TooManyInProgress(
        `this caller already has ${held} ${what} in progress, the most one caller may have ` +
          `at once (${setting}=${this.limit}); retry when one has finished.`,
        this.retryAfterSeconds,
      )
    }
    this.inUse.set(caller, held + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.inUse.get(caller) ?? 1) - 1
      if (left > 0) this.inUse.set(caller, left)
      else this.inUse.delete(caller)
    }
  }
}
