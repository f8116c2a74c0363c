import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'

/** Input PostgreSQL would refuse, or that would break a query, is refused as a 4xx problem first. */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const countEvents = async () =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.database.handle.db)).rows[0]
      ?.n,
  )

/** Sent as JSON text, so a lone surrogate goes over the wire as the escape `\ud800`. */
const postJson = (url: string, body: unknown, method: 'POST' | 'PATCH' = 'POST') =>
  t.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })

const problemAt = (body: { errors?: Array<{ path: string }> }) => body.errors?.map((e) => e.path)

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400)
  expect(res.statusCode, res.body).toBeLessThan(500)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
}

describe('text PostgreSQL cannot store', () => {
  it('a NUL in an event field is a 400 naming the field, and nothing is stored', async () => {
    const before = await countEvents()
    const res = await postJson('/v1/events', {
      events: [registration('nul-name', 'Nul\u0000Corp')],
    })
    expect(res.statusCode, res.body).toBe(400)
    expectProblem(res)
    expect(problemAt(res.json())).toEqual(['/events/0/data/name'])
    expect(res.json().detail).toContain('/events/0/data/name')
    expect(await countEvents()).toBe(before)
  })

  it("a NUL in an event's source is a 400 naming the source field", async () => {
    const res = await postJson('/v1/events', {
      events: [
        registration('ok-one'),
        registration('nul-source', 'Fine', { source: { publisher: 'Daily', quote: 'said \u0000 so' } }),
      ],
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(problemAt(res.json())).toEqual(['/events/1/source/quote'])
    expect((await t.inject('/v1/subjects/ok-one/events')).json().events).toEqual([])
  })

  it('a lone surrogate (\\ud800) in an event field is a 400 naming the field', async () => {
    const before = await countEvents()
    const res = await postJson('/v1/events', {
      events: [registration('lone-surrogate', 'broken \ud800 name')],
    })
    expect(res.statusCode, res.body).toBe(400)
    expectProblem(res)
    expect(problemAt(res.json())).toEqual(['/events/0/data/name'])
    expect(await countEvents()).toBe(before)
  })

  it('a lone low surrogate in a source field is refused too, while an emoji pair is not', async () => {
    const low = await postJson('/v1/events', {
      events: [registration('low-surrogate', 'A', { source: { publisher: 'x \udc00 y' } })],
    })
    expect(low.statusCode, low.body).toBe(400)
    expect(problemAt(low.json())).toEqual(['/events/0/source/publisher'])
    const pair = await postJson('/v1/events', {
      events: [registration('emoji-pair', 'A', { source: { publisher: 'x 😀 y' } })],
    })
    expect(pair.statusCode, pair.body).toBe(201)
  })

  it('is refused in the bodies of every other route: API key names, webhook descriptions', async () => {
    const key = await postJson('/v1/keys', { name: 'nul\u0000key', scopes: ['read'] })
    expect(key.statusCode, key.body).toBe(400)
    expect(problemAt(key.json())).toEqual(['/name'])
    const hook = await postJson('/v1/webhooks', {
      url: 'https://93.184.215.14/hooks',
      description: 'desk \ud800',
    })
    expect(hook.statusCode, hook.body).toBe(400)
    expect(problemAt(hook.json())).toEqual(['/description'])
  })

  it('a NUL in a query or path parameter is a 4xx problem', async () => {
    for (const url of [
      '/v1/events?subject=%00',
      '/v1/events?type=price.%00',
      '/v1/timeline?subject=a%00b',
      '/v1/prices?product=%00',
      '/v1/subjects/%00/events',
      '/v1/companies/a%00',
      '/v1/reports/%00',
      '/v1/events?subject=%ED%A0%80',
    ]) {
      const res = await t.inject(url)
      expectProblem(res)
    }
  })
})

describe('integers beyond what the log can hold', () => {
  const tooBig = '99999999999999999999'

  it('after= beyond a bigint is a 400 naming after', async () => {
    const res = await t.inject(`/v1/events?after=${tooBig}`)
    expect(res.statusCode, res.body).toBe(400)
    expectProblem(res)
    expect(problemAt(res.json())).toEqual(['/after'])
  })

  it('every position parameter is bounded the same way', async () => {
    for (const [url, path] of [
      [`/v1/subjects/qwen-long/events?after=${tooBig}`, '/after'],
      [`/v1/prices?consistentWith=${tooBig}`, '/consistentWith'],
      [`/v1/timeline?consistentWith=${tooBig}`, '/consistentWith'],
      [`/v1/entities?consistentWith=${tooBig}`, '/consistentWith'],
      ['/v1/events?after=9007199254740992', '/after'],
    ] as const) {
      const res = await t.inject(url)
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400)
      expect(problemAt(res.json()), url).toEqual([path])
    }
  })

  it('the largest position a client can hold exactly is accepted', async () => {
    const res = await t.inject(`/v1/events?after=${Number.MAX_SAFE_INTEGER}`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ events: [], next: null })
  })

  it("a webhook's delivery cursor and replay position are bounded", async () => {
    const created = await postJson('/v1/webhooks', { url: 'https://93.184.215.14/hooks' })
    expect(created.statusCode, created.body).toBe(201)
    const { id } = created.json()
    const page = await t.inject(`/v1/webhooks/${id}/deliveries?next=${tooBig}`)
    expect(page.statusCode, page.body).toBe(400)
    expect(problemAt(page.json())).toEqual(['/next'])
    const replay = await t.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/replay`,
      headers: { 'content-type': 'application/json' },
      payload: `{"fromPosition":${tooBig}}`,
    })
    expect(replay.statusCode, replay.body).toBe(400)
    expect(problemAt(replay.json())).toEqual(['/fromPosition'])
  })

  it('an expectedVersion beyond a stream version (integer) is a 400, and nothing is stored', async () => {
    const before = await countEvents()
    const res = await postJson('/v1/events', {
      events: [registration('big-version', 'Big', { expectedVersion: 2 ** 31 })],
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(problemAt(res.json())).toEqual(['/events/0/expectedVersion'])
    expect(await countEvents()).toBe(before)
  })
})

describe('over-long path parameters', () => {
  it('a 10,000-character subject is answered as a problem', async () => {
    const res = await t.inject(`/v1/subjects/${'a'.repeat(10_000)}/events`)
    expectProblem(res)
    expect(res.json()).toMatchObject({ status: res.statusCode, requestId: res.headers['x-request-id'] })
    expect(res.body.length).toBeLessThan(1000)
  })

  it('a path that is not percent-encoded UTF-8 is a 400 problem', async () => {
    const res = await t.inject('/v1/subjects/%E0%A4%A/events')
    expect(res.statusCode, res.body).toBe(400)
    expectProblem(res)
  })

  it('a 10,000-character query parameter is a 400 that does not echo it all back', async () => {
    const res = await t.inject(`/v1/events?subject=${'a'.repeat(10_000)}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(problemAt(res.json())).toEqual(['/subject'])
    expect(res.body.length).toBeLessThan(1000)
  })

  it('a subject of the longest slug there is (128 characters) is read by its path', async () => {
    const subject = 'a'.repeat(128)
    const appended = await postJson('/v1/events', { events: [registration(subject)] })
    expect(appended.statusCode, appended.body).toBe(201)
    const res = await t.inject(`/v1/subjects/${subject}/events`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().events.map((e: { subject: string }) => e.subject)).toEqual([subject])
  })

  it('a subject one character longer than a slug can be is a 400 naming subject', async () => {
    const res = await t.inject(`/v1/subjects/${'a'.repeat(129)}/events`)
    expect(res.statusCode, res.body).toBe(400)
    expect(problemAt(res.json())).toEqual(['/subject'])
  })
})

describe('free text', () => {
  it('reads back byte for byte: quotes, backslashes, $$, SQL, emoji and CJK', async () => {
    const name = `O'Brien "Quoted" \\ back\\slash $$ $1 '; drop table events; -- 😀👩‍💻 百川智能 \t tab`
    const quote = `$tag$ ${name} $tag$ \\x00 \\u0000 %00 \n newline`
    const res = await postJson('/v1/events', {
      events: [registration('free-text', name, { source: { publisher: 'Daily', quote } })],
    })
    expect(res.statusCode, res.body).toBe(201)
    const [stored] = (await t.inject('/v1/subjects/free-text/events')).json().events
    expect(stored.data.name).toBe(name)
    expect(stored.source.quote).toBe(quote)
    expect(Buffer.from(stored.data.name)).toEqual(Buffer.from(name))
    expect(Buffer.from(stored.source.quote)).toEqual(Buffer.from(quote))
    // The log is still there to count.
    expect(await countEvents()).toBeGreaterThan(0)
  })
})

describe('dates at the ends of the calendar the log holds', () => {
  it('an instant past 9999 in UTC is a 400 naming occurredAt, and nothing is stored', async () => {
    const before = await countEvents()
    const res = await postJson('/v1/events', {
      events: [registration('year-ten-thousand', 'Late', { occurredAt: '9999-12-31T23:59:59-14:00' })],
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(problemAt(res.json())).toEqual(['/events/0/occurredAt'])
    expect(res.json().errors[0].message).toBe('must lie within the years 0001–9999 (UTC)')
    expect(await countEvents()).toBe(before)
  })

  it('a report window ending past 9999 in UTC is a 400 naming to, not an answer it cannot write', async () => {
    const res = await t.inject(
      `/v1/reports/price-changes?to=${encodeURIComponent('9999-12-31T23:59:59-14:00')}`,
    )
    expect(res.statusCode, res.body).toBe(400)
    expect(problemAt(res.json())).toEqual(['/to'])
  })

  describe('in a market east of UTC', () => {
    let east: TestApp
    beforeAll(async () => {
      east = await startTestApp({ env: { MARKET_TZ: 'Asia/Shanghai' } })
    })
    afterAll(() => east.close())

    it('the year 0001, which starts in year 0 in UTC, is a 400 naming occurredAt', async () => {
      const res = await east.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: [registration('year-one', 'Early', { occurredAt: '0001' })] },
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(problemAt(res.json())).toEqual(['/events/0/occurredAt'])
    })

    it('as a filter of the log it is a 400 naming from, not silently no filter', async () => {
      const res = await east.inject('/v1/events?from=0001')
      expect(res.statusCode, res.body).toBe(400)
      expect(problemAt(res.json())).toEqual(['/from'])
      expect(res.json().errors[0].message).toBe('must lie within the years 0001–9999 (UTC) in Asia/Shanghai')
    })

    it('the year 0002 is a date like any other', async () => {
      const res = await east.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: [registration('year-two', 'Early', { occurredAt: '0002' })] },
      })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json().events[0].effectiveFrom).toMatch(/^0001-12-31T/)
    })
  })
})
