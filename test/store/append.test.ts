import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const post = (body: unknown) =>
  t.inject({ method: 'POST', url: '/v1/events', payload: body as Record<string, unknown> })

const countEvents = async () =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.database.handle.db)).rows[0]
      ?.n,
  )

describe('appending events', () => {
  it('stores a batch with positions, per-subject versions and derived valid time', async () => {
    const res = await post({
      events: [
        priceChange('qwen-long', '0.02', { occurredAt: '2024-04' }),
        priceChange('qwen-long', '0.0005', {
          occurredAt: '2024-05-21',
          data: {
            component: 'input',
            amount: '0.0005',
            currency: 'CNY',
            unit: '1K tokens',
            previousAmount: '0.02',
          },
        }),
        registration('alibaba-cloud', 'Alibaba Cloud'),
      ],
    })
    expect(res.statusCode).toBe(201)
    const { events } = res.json()
    expect(events.map((e: { version: number }) => e.version)).toEqual([1, 2, 1])
    const positions = events.map((e: { position: number }) => e.position)
    expect(positions[1]).toBe(positions[0] + 1)
    expect(positions[2]).toBe(positions[1] + 1)
    expect(events[1]).toMatchObject({
      type: 'price.changed',
      subject: 'qwen-long',
      occurredAt: '2024-05-21',
      precision: 'day',
      effectiveFrom: '2024-05-21T00:00:00.000Z',
      data: {
        component: 'input',
        amount: '0.0005',
        currency: 'CNY',
        unit: '1K tokens',
        previousAmount: '0.02',
      },
    })
    expect(events[0].recordedAt).toBe(events[2].recordedAt)
    expect(events[0].id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('keeps the source of a fact', async () => {
    const source = {
      publisher: '证券日报',
      title: '“百模大战”引各路资本争相布局',
      publishedAt: '2024-06',
      quote: '降幅高达97%',
    }
    const res = await post({ events: [priceChange('source-kept', '1', { source })] })
    expect(res.json().events[0].source).toEqual(source)
  })

  it('answers a re-post of identical events with 200 and the stored events, storing nothing more', async () => {
    const batch = { events: [priceChange('idem', '1', { id: randomUUID() }), registration('idem-co')] }
    const first = await post(batch)
    const before = await countEvents()
    const again = await post(batch)
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(200)
    expect(again.json().events).toEqual(first.json().events)
    expect(await countEvents()).toBe(before)
  })

  it('stores only the new events of a batch that repeats stored ones, and says 201', async () => {
    const stored = registration('partly-new')
    await post({ events: [stored] })
    const res = await post({ events: [stored, registration('partly-new-2')] })
    expect(res.statusCode).toBe(201)
    expect(res.json().events.map((e: { subject: string }) => e.subject)).toEqual([
      'partly-new',
      'partly-new-2',
    ])
  })

  it('refuses the same id with different content with 409 naming the event, storing nothing', async () => {
    const id = randomUUID()
    await post({ events: [priceChange('conflict', '1', { id })] })
    const before = await countEvents()
    const res = await post({ events: [registration('innocent'), priceChange('conflict', '2', { id })] })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 409, errors: [{ path: '/events/1/id' }] })
    expect(await countEvents()).toBe(before)
  })

  it('appends when expectedVersion matches the subject, 0 meaning a new stream', async () => {
    const created = await post({ events: [priceChange('guarded', '1', { expectedVersion: 0 })] })
    expect(created.statusCode).toBe(201)
    const next = await post({
      events: [
        priceChange('guarded', '2', { expectedVersion: 1 }),
        priceChange('guarded', '3', { expectedVersion: 2 }),
      ],
    })
    expect(next.statusCode).toBe(201)
    expect(next.json().events.map((e: { version: number }) => e.version)).toEqual([2, 3])
  })

  it('refuses a stale expectedVersion with 409 and stores nothing of the batch', async () => {
    await post({ events: [priceChange('stale', '1'), priceChange('stale', '2')] })
    const before = await countEvents()
    const res = await post({
      events: [registration('bystander'), priceChange('stale', '3', { expectedVersion: 1 })],
    })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      title: 'Version conflict',
      errors: [
        { path: '/events/1/expectedVersion', message: "expected version 1, but 'stale' is at version 2" },
      ],
    })
    expect(await countEvents()).toBe(before)
  })

  it('lets exactly one of two writers with the same expectedVersion win', async () => {
    await post({ events: [priceChange('race', '1')] })
    const results = await Promise.all(
      ['2', '3', '4', '5'].map((amount) =>
        post({ events: [priceChange('race', amount, { expectedVersion: 1 })] }),
      ),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409])
  })

  it('answers a lone re-post with the stored event, even once its expectedVersion has moved on', async () => {
    const lone = { events: [priceChange('lone-repost', '1', { id: randomUUID(), expectedVersion: 0 })] }
    const first = await post(lone)
    await post({ events: [priceChange('lone-repost', '2')] })
    const before = await countEvents()
    const again = await post(lone)
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(200)
    expect(again.json().events).toEqual(first.json().events)
    expect(await countEvents()).toBe(before)
  })

  it('refuses a lone event whose id is stored with other content, naming it', async () => {
    const id = randomUUID()
    await post({ events: [priceChange('lone-clash', '1', { id })] })
    const before = await countEvents()
    const res = await post({ events: [priceChange('lone-clash', '2', { id })] })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ status: 409, errors: [{ path: '/events/0/id' }] })
    expect(await countEvents()).toBe(before)
  })

  it('refuses a lone stale expectedVersion naming both versions, storing nothing', async () => {
    await post({ events: [priceChange('lone-stale', '1'), priceChange('lone-stale', '2')] })
    const before = await countEvents()
    const res = await post({ events: [priceChange('lone-stale', '3', { expectedVersion: 1 })] })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      errors: [
        {
          path: '/events/0/expectedVersion',
          message: "expected version 1, but 'lone-stale' is at version 2",
        },
      ],
    })
    expect(await countEvents()).toBe(before)
  })

  it('numbers the new events of a batch after a stored one of the same subject without a gap', async () => {
    const stored = priceChange('resumed', '1', { id: randomUUID() })
    await post({ events: [stored] })
    const res = await post({
      events: [stored, priceChange('resumed', '2'), priceChange('resumed', '3')],
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().events.map((e: { version: number }) => e.version)).toEqual([1, 2, 3])
  })

  it('records recordedAt in position order, to the millisecond', async () => {
    const a = (await post({ events: [registration('rec-a')] })).json().events[0]
    const b = (await post({ events: [registration('rec-b')] })).json().events[0]
    expect(b.position).toBeGreaterThan(a.position)
    expect(b.recordedAt >= a.recordedAt).toBe(true)
    expect(a.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })

  it('refuses to edit or delete stored events in the database itself', async () => {
    await post({ events: [registration('immutable')] })
    await expect(sql`update events set subject = 'changed'`.execute(t.database.handle.db)).rejects.toThrow(
      /immutable/,
    )
    await expect(sql`delete from events`.execute(t.database.handle.db)).rejects.toThrow(/immutable/)
  })
})

describe('bad input gets a 4xx problem naming the field, and stores nothing', () => {
  const cases: Array<[string, unknown, number, string]> = [
    [
      'an unknown event type',
      { events: [{ ...registration('x'), type: 'price.guessed' }] },
      400,
      '/events/0/type',
    ],
    ['a missing type', { events: [{ subject: 'x', occurredAt: '2024', data: {} }] }, 400, '/events/0/type'],
    [
      'an impossible day',
      { events: [priceChange('x', '1', { occurredAt: '2024-02-30' })] },
      400,
      '/events/0/occurredAt',
    ],
    [
      'an impossible month',
      { events: [priceChange('x', '1', { occurredAt: '2024-13' })] },
      400,
      '/events/0/occurredAt',
    ],
    [
      'an unpadded date',
      { events: [priceChange('x', '1', { occurredAt: '2024-5-1' })] },
      400,
      '/events/0/occurredAt',
    ],
    [
      'a date-time without offset',
      { events: [priceChange('x', '1', { occurredAt: '2024-05-01T10:00:00' })] },
      400,
      '/events/0/occurredAt',
    ],
    [
      'an amount sent as a number',
      {
        events: [
          priceChange('x', '1', {
            data: { component: 'input', amount: 0.0005, currency: 'CNY', unit: '1K tokens' },
          }),
        ],
      },
      400,
      '/events/0/data/amount',
    ],
    [
      'a malformed amount',
      {
        events: [
          priceChange('x', '1', {
            data: { component: 'input', amount: '1e-4', currency: 'CNY', unit: '1K tokens' },
          }),
        ],
      },
      400,
      '/events/0/data/amount',
    ],
    [
      'a missing data field',
      { events: [priceChange('x', '1', { data: { component: 'input', amount: '1', unit: '1K tokens' } })] },
      400,
      '/events/0/data/currency',
    ],
    [
      'an unknown data field',
      {
        events: [
          priceChange('x', '1', {
            data: { component: 'input', amount: '1', currency: 'CNY', unit: '1K tokens', discount: '5' },
          }),
        ],
      },
      400,
      '/events/0/data/discount',
    ],
    [
      'an unknown envelope field',
      { events: [{ ...registration('x'), position: 5 }] },
      400,
      '/events/0/position',
    ],
    ['an uppercase subject', { events: [registration('Qwen-Long')] }, 400, '/events/0/subject'],
    [
      'a subject with SQL in it',
      { events: [registration("x'; drop table events; --")] },
      400,
      '/events/0/subject',
    ],
    [
      'an id that is not a uuid',
      { events: [registration('x', 'x', { id: 'not-a-uuid' })] },
      400,
      '/events/0/id',
    ],
    [
      'a negative expectedVersion',
      { events: [priceChange('x', '1', { expectedVersion: -1 })] },
      400,
      '/events/0/expectedVersion',
    ],
    ['an empty batch', { events: [] }, 400, '/events'],
    ['no events field', { facts: [] }, 400, '/events'],
    [
      'a later event in the batch that is bad',
      { events: [registration('fine'), priceChange('x', 'free')] },
      400,
      '/events/1/data/amount',
    ],
  ]

  it.each(cases)('%s', async (_name, body, status, path) => {
    const before = await countEvents()
    const res = await post(body)
    expect(res.statusCode).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    const problem = res.json()
    expect(problem).toMatchObject({
      status,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
    })
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path)
    expect(await countEvents()).toBe(before)
  })

  it('reports the same id twice in one batch', async () => {
    const event = registration('twice')
    const res = await post({ events: [event, { ...event, subject: 'twice-2' }] })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ path: '/events/1/id', message: 'repeats the id of /events/0' }])
  })

  it('refuses more than 1000 events in a batch', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({
      type: 'alliance.member_joined',
      subject: 'a',
      occurredAt: '2024',
      data: { member: `m${i}` },
    }))
    const res = await post({ events })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].path).toBe('/events')
  })

  it('answers malformed JSON with 400', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: '{"events": [',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().detail).toMatch(/not valid JSON/)
  })

  it('answers a body over 1 MiB with 413', async () => {
    const big = JSON.stringify({ events: [registration('big', 'x'.repeat(1024 * 1024))] })
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: big,
    })
    expect(res.statusCode).toBe(413)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('answers a body that is not JSON with 415', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    })
    expect(res.statusCode).toBe(415)
  })
})
