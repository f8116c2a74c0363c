import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { AnswerCache } from '../../src/api/answer-cache.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'

const answerOf = (bytes: number, tag: string) => ({ tag, text: 'x'.repeat(bytes) })

describe('the answer cache keeps answers within a budget of bytes', () => {
  it('keeps the most recently used answers, never more bytes than its budget', async () => {
    const cache = new AnswerCache(undefined, 10_000)
    cache.setListening(true)
    let computed = 0
    const answer = (key: string) =>
      cache.get(key, async () => {
        computed++
        return answerOf(900, key)
      })
    for (let i = 0; i < 200; i++) {
      expect(await answer(`key-${i}`)).toEqual(answerOf(900, `key-${i}`))
      expect(cache.bytes).toBeLessThanOrEqual(10_000)
    }
    expect(computed).toBe(200)
    expect(cache.count).toBeGreaterThanOrEqual(9)
    // The latest are kept (answered without computing); the first were let go.
    expect(await answer('key-199')).toEqual(answerOf(900, 'key-199'))
    expect(computed).toBe(200)
    expect(await answer('key-0')).toEqual(answerOf(900, 'key-0'))
    expect(computed).toBe(201)
  })

  it('answers, but does not keep, an answer larger than an eighth of the budget', async () => {
    const cache = new AnswerCache(undefined, 10_000)
    cache.setListening(true)
    expect(await cache.get('small', async () => answerOf(100, 'small'))).toEqual(answerOf(100, 'small'))
    const kept = cache.bytes
    expect(kept).toBeGreaterThan(100)
    expect(await cache.get('large', async () => answerOf(2_000, 'large'))).toEqual(answerOf(2_000, 'large'))
    expect(cache.bytes).toBe(kept)
    expect(cache.count).toBe(1)
  })

  it('keeps an answer that is nothing found, and none at all with a budget of 0', async () => {
    const cache = new AnswerCache(undefined, 10_000)
    cache.setListening(true)
    let computed = 0
    const missing = () =>
      cache.get('missing', async () => {
        computed++
        return undefined
      })
    expect(await missing()).toBeUndefined()
    expect(await missing()).toBeUndefined()
    expect(computed).toBe(1)

    const off = new AnswerCache(undefined, 0)
    off.setListening(true)
    await off.get('a', async () => answerOf(10, 'a'))
    expect(off.count).toBe(0)
    expect(off.bytes).toBe(0)
  })
})

describe('anonymous readers naming a new knownAt with every request', () => {
  let t: TestApp
  let head = 0
  const budget = 256 * 1024
  beforeAll(async () => {
    t = await startTestApp({ worker: true, env: { ANSWER_CACHE_BYTES: '256KiB' } })
    await loadSeeds(t.store, catalogue, defaultSeedsDir)
    head = await t.store.headPosition()
  })
  afterAll(() => t.close())

  it('keep the API within ANSWER_CACHE_BYTES, and every answer is what a fresh read gives', {
    timeout: 60_000,
  }, async () => {
    const cache = t.app.answerCache
    if (!cache) throw new Error('the test app has an answer cache')
    expect(cache.maxBytes).toBe(budget)
    // Read-your-write once: from here the read models hold the seeds, and answers are kept.
    const fresh = (url: string) => t.app.inject(`${url}&consistentWith=${head}`)
    expect((await fresh('/v1/timeline?limit=1')).statusCode).toBe(200)
    await expect
      .poll(async () => {
        await t.app.inject('/v1/timeline?limit=5&knownAt=2030-01-01T00:00:00.000Z')
        return cache.count
      })
      .toBeGreaterThan(0)

    for (let n = 1; n <= 300; n++) {
      const url = `/v1/timeline?limit=${n % 3 === 0 ? 1000 : 20}&knownAt=2030-01-01T00:00:00.${String(n).padStart(3, '0')}Z`
      const cached = await t.app.inject(url)
      expect(cached.statusCode, cached.body).toBe(200)
      expect(cache.bytes).toBeLessThanOrEqual(budget)
      if (n % 50 === 0) {
        // Asked again it comes from the cache, and agrees with one computed without it.
        const again = await t.app.inject(url)
        const computed = await fresh(url)
        expect(again.json()).toEqual(computed.json())
        expect(cached.json()).toEqual(computed.json())
      }
    }
    expect(cache.count).toBeGreaterThan(10)
  })
})
