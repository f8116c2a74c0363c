import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { ConfigError, loadConfig } from '../../src/config.js'
import { matches, subscriptionFilter } from '../../src/webhooks/matching.js'
import { honourRetryAfter, retryAfterMs, retryDelayMs } from '../../src/webhooks/schedule.js'

describe('the retry schedule', () => {
  it('is by default at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: about 28 hours', () => {
    const { retryDelaysMs } = loadConfig({}).webhooks
    expect(retryDelaysMs).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000))
    expect(retryDelaysMs.reduce((a, b) => a + b, 0) / 3_600_000).toBeCloseTo(27.6, 1)
  })

  it('varies each pause by at most 20 % either way', () => {
    expect(retryDelayMs([1000], 0, () => 0)).toBe(800)
    expect(retryDelayMs([1000], 0, () => 0.999_999)).toBe(1200)
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs([5000], 0) ?? 0
      expect(delay).toBeGreaterThanOrEqual(4000)
      expect(delay).toBeLessThanOrEqual(6000)
    }
  })

  it('ends after the last pause', () => {
    expect(retryDelayMs([1000, 2000], 1, () => 0.5)).toBe(2000)
    expect(retryDelayMs([1000, 2000], 2)).toBeUndefined()
  })

  it('honours Retry-After between the scheduled pause and the longest pause (or twice the scheduled one)', () => {
    const now = DateTime.fromISO('2024-05-21T08:00:00Z')
    expect(honourRetryAfter(10_000, '1', now, 10_000)).toBe(10_000)
    expect(honourRetryAfter(10_000, '15', now, 10_000)).toBe(15_000)
    expect(honourRetryAfter(10_000, '3600', now, 10_000)).toBe(20_000)
    expect(honourRetryAfter(10_000, '3600', now, 36_000_000)).toBe(3_600_000)
    expect(honourRetryAfter(10_000, '86400', now, 36_000_000)).toBe(36_000_000)
    expect(honourRetryAfter(10_000, 'soon', now, 36_000_000)).toBe(10_000)
    expect(retryAfterMs('Tue, 21 May 2024 08:00:12 GMT', now)).toBe(12_000)
  })

  it('is configured in seconds, and refuses what is not', () => {
    expect(loadConfig({ WEBHOOK_RETRY_DELAYS: '0.5, 2,10' }).webhooks.retryDelaysMs).toEqual([
      500, 2000, 10_000,
    ])
    expect(loadConfig({ WEBHOOK_DISABLE_AFTER: '12h' }).webhooks.disableAfterMs).toBe(12 * 3_600_000)
    expect(loadConfig({}).webhooks.disableAfterMs).toBe(5 * 86_400_000)
    expect(() => loadConfig({ WEBHOOK_RETRY_DELAYS: '5,,10' })).toThrow(ConfigError)
    expect(() => loadConfig({ WEBHOOK_RETRY_DELAYS: '-1' })).toThrow(ConfigError)
    expect(() => loadConfig({ WEBHOOK_DISABLE_AFTER: 'a week' })).toThrow(ConfigError)
  })
})

describe('matching', () => {
  const event = { position: 1, type: 'price.changed', subject: 'qwen-long' }

  it('takes type patterns and subjects', () => {
    const filter = (types: string[], subjects: string[] = []) =>
      matches(subscriptionFilter(catalogue, { id: 'x', types, subjects }), event)
    expect(filter(['*'])).toBe(true)
    expect(filter(['price.*'])).toBe(true)
    expect(filter(['price.changed'], ['qwen-long'])).toBe(true)
    expect(filter(['product.*'])).toBe(false)
    expect(filter(['*'], ['ernie-speed'])).toBe(false)
  })
})
