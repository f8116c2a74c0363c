import type { FastifyRequest } from 'fastify'
import { TooManyInProgress } from '../errors.js'

/** Who is asking: the API key, or the address of a request without one (as the rate limit counts). */
export function callerOf(request: FastifyRequest): string {
  return request.caller ? `key:${request.caller.keyId}` : `address:${request.ip}`
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void

/**
 * At most `limit` reads of the whole log (report replays, NDJSON exports) in progress per caller,
 * in this process; 0 = no limit. A caller beyond it is refused at once (429) rather than queued,
 * so one caller cannot hold every connection of the pool those reads share.
 */
export class CallerSlots {
  private readonly inUse = new Map<string, number>()

  constructor(
    private readonly limit: number,
    private readonly retryAfterSeconds = 5,
  ) {}

  take(caller: string): Release {
    const held = this.inUse.get(caller) ?? 0
    if (this.limit > 0 && held >= this.limit) {
      throw new TooManyInProgress(
        `this caller already has ${held} reports or full-log reads in progress, the most one caller may have ` +
          `at once (REPORT_READS_PER_CALLER=${this.limit}); retry when one has finished.`,
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
