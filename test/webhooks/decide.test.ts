import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { decide } from '../../src/webhooks/decide.js'
import type { AttemptResult } from '../../src/webhooks/sender.js'

const now = DateTime.fromISO('2024-05-21T08:00:00Z')
const config = { retryDelaysMs: [10_000, 60_000, 600_000] }
const middle = () => 0.5

function answered(statusCode: number | undefined, retryAfter?: string): AttemptResult {
  return {
    attemptedAt: now.toJSDate(),
    durationMs: 12,
    statusCode,
    error: statusCode === undefined ? 'connect ECONNREFUSED 127.0.0.1:9' : undefined,
    responseBody: undefined,
    retryAfter,
  }
}

const later = (ms: number) => new Date(now.toMillis() + ms)

describe('what follows a webhook attempt', () => {
  it('is done when the receiver answers 2xx, whatever the attempt', () => {
    for (const code of [200, 201, 204, 299]) {
      expect(decide(answered(code), 0, config, now, middle)).toEqual({ kind: 'delivered' })
    }
    expect(decide(answered(202), 3, config, now, middle)).toEqual({ kind: 'delivered' })
  })

  it('is gone, not retried, when the receiver answers 410', () => {
    expect(decide(answered(410), 0, config, now, middle)).toEqual({ kind: 'gone' })
  })

  it('retries other answers, timeouts and network errors after the next pause of the schedule', () => {
    for (const result of [answered(500), answered(404), answered(301), answered(undefined)]) {
      expect(decide(result, 1, config, now, middle)).toEqual({
        kind: 'retry',
        at: later(60_000),
        by: 'schedule',
      })
    }
  })

  it('varies the pause by at most 20 % either way', () => {
    expect(decide(answered(500), 0, config, now, () => 0)).toMatchObject({ at: later(8_000) })
    expect(decide(answered(500), 0, config, now, () => 0.999_999)).toMatchObject({ at: later(12_000) })
  })

  it('gives up once the schedule is spent', () => {
    expect(decide(answered(500), 3, config, now, middle)).toEqual({ kind: 'give up' })
    expect(decide(answered(429, '5'), 3, config, now, middle)).toEqual({ kind: 'give up' })
  })

  it("honours a 429's or 503's Retry-After, in seconds or as an HTTP-date", () => {
    expect(decide(answered(429, '30'), 0, config, now, middle)).toEqual({
      kind: 'retry',
      at: later(30_000),
      by: 'retry-after',
    })
    expect(decide(answered(503, 'Tue, 21 May 2024 08:00:45 GMT'), 0, config, now, middle)).toEqual({
      kind: 'retry',
      at: later(45_000),
      by: 'retry-after',
    })
  })

  it('keeps Retry-After between the scheduled pause and the longest pause (or twice the scheduled one)', () => {
    expect(decide(answered(429, '1'), 0, config, now, middle)).toMatchObject({ at: later(10_000) })
    expect(decide(answered(503, '86400'), 0, config, now, middle)).toMatchObject({ at: later(600_000) })
    expect(decide(answered(503, '86400'), 2, config, now, middle)).toMatchObject({ at: later(1_200_000) })
  })

  it('ignores Retry-After on other answers, and one it cannot read', () => {
    expect(decide(answered(500, '30'), 0, config, now, middle)).toEqual({
      kind: 'retry',
      at: later(10_000),
      by: 'schedule',
    })
    expect(decide(answered(429, 'soon'), 0, config, now, middle)).toEqual({
      kind: 'retry',
      at: later(10_000),
      by: 'schedule',
    })
  })
})
