import { DateTime } from 'luxon'

/**
 * When a failed delivery is tried again. `delaysMs[n]` is the pause after the (n+1)th attempt;
 * past the end of the list the delivery has failed. Every pause varies by ±20 % so that
 * retries of one outage do not arrive together.
 */
export function retryDelayMs(
  delaysMs: readonly number[],
  failedAttempt: number,
  random: () => number = Math.random,
): number | undefined {
  const scheduled = delaysMs[failedAttempt]
  return scheduled === undefined ? undefined : Math.round(scheduled * (0.8 + 0.4 * random()))
}

/**
 * A 429 or 503 may say when to come back. It is honoured within reason: never sooner than the
 * scheduled pause, and never later than the schedule's longest pause (or twice the scheduled
 * one, if that is longer), so that a receiver cannot park a delivery without end. Coming back
 * sooner than asked would only spend an attempt of the schedule on an endpoint that said no.
 */
export function honourRetryAfter(
  scheduledMs: number,
  retryAfter: string | undefined,
  now: DateTime,
  longestPauseMs: number,
): number {
  const asked = retryAfterMs(retryAfter, now)
  if (asked === undefined) return scheduledMs
  return Math.min(Math.max(asked, scheduledMs), Math.max(2 * scheduledMs, longestPauseMs))
}

/** `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | undefined, now: DateTime): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = DateTime.fromHTTP(text)
  return date.isValid ? Math.max(0, date.toMillis() - now.toMillis()) : undefined
}
