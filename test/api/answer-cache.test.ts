import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import { AnswerCache } from '../../src/api/answer-cache.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { eventually } from '../support/eventually.js'

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

describe('requests for an answer that is being computed', () => {
  const gate = () => {
    let open = () => {}
    const opened = new Promise<void>((resolve) => {
      open = resolve
    })
    return { open, opened }
  }

  it('wait for the one computation under way instead of each starting their own', async () => {
    const cache = new AnswerCache(undefined, 10_000)
    cache.setListening(true)
    const { open, opened } = gate()
    let computed = 0
    const answers = Array.from({ length: 10 }, () =>
      cache.get('prices:2024', async () => {
        computed++
        await opened
        return answerOf(10, 'prices')
      }),
    )
    open()
    const values = await Promise.all(answers)
    expect(computed).toBe(1)
    for (const value of values) expect(value).toEqual(answerOf(10, 'prices'))
  })

  it('compute afresh after a notification, without waiting for the computation it may outdate', async () => {
    const cache = new AnswerCache(undefined, 10_000)
    cache.setListening(true)
    const before = gate()
    const early = cache.get('prices:2024', async () => {
      await before.opened
      return answerOf(10, 'before')
    })
    cache.invalidate()
    const late = await cache.get('prices:2024', async () => answerOf(10, 'after'))
    expect(late).toEqual(answerOf(10, 'after'))
    before.open()
    expect(await early).toEqual(answerOf(10, 'before'))
    // Neither the outdated computation nor anything else stands in for the next request.
    expect(await cache.get('prices:2024', async () => answerOf(10, 'again'))).toEqual(answerOf(10, 'after'))
  })

  it('share a failure, and the next request computes again', async () => {
    const cache = new AnswerCache(undefined, 10_000)
    cache.setListening(true)
    const failing = [1, 2].map(() =>
      cache.get('prices:2024', async () => {
        throw new Error('database unavailable')
      }),
    )
    for (const request of failing) await expect(request).rejects.toThrow('database unavailable')
    expect(await cache.get('prices:2024', async () => answerOf(10, 'later'))).toEqual(answerOf(10, 'later'))
  })
})

describe('the JSON of a kept answer', () => {
  it('is written once, and again only for a new answer', () => {
    const cache = new AnswerCache(undefined, 10_000)
    const value = answerOf(10, 'a')
    let writes = 0
    const write = () => {
      writes++
      return Buffer.from(JSON.stringify(value))
    }
    expect(cache.jsonOf(value, write).toString()).toBe(JSON.stringify(value))
    expect(cache.jsonOf(value, write).toString()).toBe(JSON.stringify(value))
    expect(writes).toBe(1)
    cache.jsonOf(answerOf(10, 'a'), write)
    expect(writes).toBe(2)
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

    // kind=all: registrations too, whose small entries let more than ten answers fit the budget.
    for (let n = 1; n <= 300; n++) {
      const url = `/v1/timeline?kind=all&limit=${n % 3 === 0 ? 1000 : 20}&knownAt=2030-01-01T00:00:00.${String(n).padStart(3, '0')}Z`
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

describe('answers served from the cache over HTTP', () => {
  let t: TestApp
  let head = 0
  beforeAll(async () => {
    t = await startTestApp({ worker: true })
    await loadSeeds(t.store, catalogue, defaultSeedsDir)
    head = await t.store.headPosition()
    // Every read model holds the seeds before the first answer is kept: a batch still being
    // applied would drop the cache between two requests and have a list written twice.
    const names = projections.map((projection) => projection.name)
    expect(await waitUntilApplied(t.database.handle.db, names, head, 30_000)).toBe(true)
    // The notification of the last batch may arrive just after its checkpoint is seen: wait
    // until a kept answer outlives a pause.
    const cache = t.app.answerCache
    await eventually(
      'a kept answer that outlives a pause',
      async () => {
        await t.app.inject('/v1/entities?knownAt=2029-01-01')
        await sleep(100)
        return (cache?.count ?? 0) > 0
      },
      10_000,
    )
  })
  afterAll(() => t.close())

  it('write the kept lists once, and every body is byte for byte the one a fresh computation gives', async () => {
    const cache = t.app.answerCache
    if (!cache) throw new Error('the test app has an answer cache')
    let writes = 0
    const jsonOf = cache.jsonOf.bind(cache)
    cache.jsonOf = (value, write) =>
      jsonOf(value, () => {
        writes++
        return write()
      })
    for (const url of [
      '/v1/prices?asOf=2024-06-30&knownAt=2030-01-01',
      '/v1/prices?asOf=2024-06-30',
      '/v1/funding?asOf=2024-06-30&limit=2',
      '/v1/timeline?limit=5&knownAt=2030-01-01',
      '/v1/entities?knownAt=2030-01-01',
      '/v1/companies/baichuan?asOf=2024-06-30&knownAt=2030-01-01',
    ]) {
      writes = 0
      const answers = [await t.app.inject(url)]
      const firstWrites = writes
      for (let i = 0; i < 2; i++) answers.push(await t.app.inject(url))
      const computed = await t.app.inject(`${url}&consistentWith=${head}`)
      // The kept parts (a list, or each of a profile's lists) were written for the first answer only.
      expect(firstWrites, url).toBeGreaterThan(0)
      expect(writes, url).toBe(firstWrites)
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(200)
        expect(res.headers['content-type'], url).toBe(computed.headers['content-type'])
        if (url.includes('knownAt')) expect(res.body, url).toBe(computed.body)
        else expect({ ...res.json(), knownAt: null }, url).toEqual({ ...computed.json(), knownAt: null })
      }
    }
  })

  it('keep a diff between two given asOf as the bytes it is sent as, in each format, and a back-dated fact is in the next answer', async () => {
    const cache = t.app.answerCache
    if (!cache) throw new Error('the test app has an answer cache')
    let computations = 0
    const get = cache.get.bind(cache)
    cache.get = <T>(key: string, compute: () => Promise<T>) =>
      get(key, () => {
        computations++
        return compute()
      })
    const pinned =
      '/v1/diff?fromAsOf=2024-04-30&toAsOf=2024-06-30&fromKnownAt=2030-01-01&toKnownAt=2030-01-01'
    const latest = '/v1/diff?fromAsOf=2024-04-30&toAsOf=2024-06-30'
    for (const url of [pinned, latest, `${pinned}&format=csv`, `${latest}&format=csv`]) {
      computations = 0
      const answers = [await t.app.inject(url), await t.app.inject(url), await t.app.inject(url)]
      // With consistentWith the answer is computed and written by the route's serialiser.
      const computed = await t.app.inject(`${url}&consistentWith=${head}`)
      expect(computations, url).toBe(1)
      expect(computed.body.length, url).toBeGreaterThan(1000)
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(200)
        expect(res.headers['content-type'], url).toBe(computed.headers['content-type'])
        if (url.startsWith(pinned) || url.endsWith('csv')) expect(res.body, url).toBe(computed.body)
        else expect(res.json().changes, url).toEqual(computed.json().changes)
      }
    }
    cache.get = get
    const { events } = await t.store.append([
      {
        type: 'price.changed',
        subject: 'cache-probe-model',
        occurredAt: '2024-05-15',
        data: { component: 'input', amount: '0.42', currency: 'CNY', unit: '1K tokens' },
      },
    ])
    const position = events[0]?.position as number
    const names = projections.map((projection) => projection.name)
    expect(await waitUntilApplied(t.database.handle.db, names, position, 30_000)).toBe(true)
    await eventually(
      'the back-dated price in the kept diff',
      async () => (await t.app.inject(latest)).body.includes('cache-probe-model'),
      5000,
    )
    const fresh = await t.app.inject(`${latest}&consistentWith=${position}`)
    expect((await t.app.inject(latest)).json().changes).toEqual(fresh.json().changes)
  })
})
