import type { DateTime } from 'luxon'
import type { WebhookConfig } from '../config.js'
import { honourRetryAfter, retryAfterMs, retryDelayMs } from './schedule.js'
import type { AttemptResult } from './sender.js'

/** What follows an attempt. */
export type NextStep =
  | { readonly kind: 'delivered' }
  /** 410 Gone: the receiver says the endpoint no longer exists; it is disabled. */
  | { readonly kind: 'gone' }
  /** The schedule is spent: the delivery has failed. */
  | { readonly kind: 'give up' }
  | {
      readonly kind: 'retry'
      readonly at: Date
      /** `retry-after` when a 429 or 503 said when to come back and was heeded (within reason). */
      readonly by: 'schedule' | 'retry-after'
    }

/**
 * The retry decision, apart from its effects: 2xx is delivered, 410 gone, anything else (a
 * timeout, a network error) is tried again after the schedule's next pause, honouring a 429's
 * or 503's `Retry-After`, until the schedule is spent. `attempt` counts the failed attempts before.
 */
export function decide(
  result: AttemptResult,
  attempt: number,
  config: Pick<WebhookConfig, 'retryDelaysMs'>,
  now: DateTime,
  random: () => number = Math.random,
): NextStep {
  const code = result.statusCode
  if (code !== undefined && code >= 200 && code < 300) return { kind: 'delivered' }
  if (code === 410) return { kind: 'gone' }
  const scheduled = retryDelayMs(config.retryDelaysMs, attempt, random)
  if (scheduled === undefined) return { kind: 'give up' }
  const asked = code === 429 || code === 503 ? retryAfterMs(result.retryAfter, now) : undefined
  if (asked === undefined) return { kind: 'retry', at: new Date(now.toMillis() + scheduled), by: 'schedule' }
  const delay = honourRetryAfter(scheduled, result.retryAfter, now, Math.max(...config.retryDelaysMs))
  return { kind: 'retry', at: new Date(now.toMillis() + delay), by: 'retry-after' }
}
