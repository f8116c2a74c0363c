import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'

let t: TestApp
let stored: RecordedEvent[]

beforeAll(async () => {
  t = await startTestApp()
  const result = await t.store.append([
    registration('alibaba-cloud', 'Alibaba Cloud', { occurredAt: '2009' }),
    priceChange('qwen-long', '0.02', { occurredAt: '2024-04' }),
    priceChange('qwen-long', '0.0005', { occurredAt: '2024-05-21' }),
    priceChange('hunyuan-lite', '0', { occurredAt: '2024-05-22' }),
    {
      type: 'alliance.member_joined',
      subject: 'auto-alliance',
      occurredAt: '2024-06',
      data: { member: 'geely' },
    },
    registration('tencent', 'Tencent', { occurredAt: '1998' }),
  ])
  stored = [...result.events]
})
afterAll(() => t.close())

const get = (url: string, headers: Record<string, string> = {}) => t.inject({ method: 'GET', url, headers })
const subjects = (events: RecordedEvent[]) => events.map((e) => e.subject)

describe('reading the log', () => {
  it('pages in position order with a cursor until next is null', async () => {
    const seen: RecordedEvent[] = []
    let after = 0
    for (let page = 0; page < 10; page++) {
      const body = (await get(`/v1/events?after=${after}&limit=4`)).json()
      seen.push(...body.events)
      if (body.next === null) break
      after = body.next
    }
    expect(seen).toEqual(stored)
  })

  it('filters by type patterns, a comma list of them, and subject', async () => {
    expect(subjects((await get('/v1/events?type=price.*')).json().events)).toEqual([
      'qwen-long',
      'qwen-long',
      'hunyuan-lite',
    ])
    expect(subjects((await get('/v1/events?type=entity.registered,alliance.*')).json().events)).toEqual([
      'alibaba-cloud',
      'auto-alliance',
      'tencent',
    ])
    expect((await get('/v1/events?type=*')).json().events).toHaveLength(stored.length)
    expect(subjects((await get('/v1/events?subject=qwen-long')).json().events)).toEqual([
      'qwen-long',
      'qwen-long',
    ])
  })

  it('filters by valid time: from the start of `from` to the end of `to`', async () => {
    const may = (await get('/v1/events?from=2024-05&to=2024-05')).json().events
    expect(may.map((e: RecordedEvent) => e.occurredAt)).toEqual(['2024-05-21', '2024-05-22'])
    const upTo2023 = (await get('/v1/events?to=2023')).json().events
    expect(subjects(upTo2023)).toEqual(['alibaba-cloud', 'tencent'])
  })

  it('streams every matching event as NDJSON', async () => {
    const res = await get('/v1/events?type=price.*', { accept: 'application/x-ndjson' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/)
    const lines = res.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toEqual(stored.filter((e) => e.type === 'price.changed'))
  })

  it('finds one event by id, and a subject stream in version order', async () => {
    const target = stored[2] as RecordedEvent
    expect((await get(`/v1/events/${target.id}`)).json()).toEqual(target)
    const stream = (await get('/v1/subjects/qwen-long/events')).json()
    expect(stream.events.map((e: RecordedEvent) => e.version)).toEqual([1, 2])
    expect(stream.next).toBeNull()
  })

  it('answers an unknown id or route with a 404 problem', async () => {
    const missing = await get('/v1/events/00000000-0000-4000-8000-000000000000')
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect((await get('/v1/nothing-here')).statusCode).toBe(404)
  })

  it('answers an empty stream for an unknown subject', async () => {
    expect((await get('/v1/subjects/nobody/events')).json()).toEqual({ events: [], next: null })
  })
})

describe('bad query parameters get a 400 naming the parameter', () => {
  it.each([
    ['/v1/events?limit=0', '/limit'],
    ['/v1/events?limit=1001', '/limit'],
    ['/v1/events?limit=ten', '/limit'],
    ['/v1/events?after=-1', '/after'],
    ['/v1/events?type=price', '/type'],
    ['/v1/events?type=nothing.*', '/type'],
    ['/v1/events?from=2024-02-30', '/from'],
    ['/v1/events?to=2024-13', '/to'],
    ['/v1/events?subject=Qwen', '/subject'],
    ['/v1/events?colour=red', '/colour'],
    ['/v1/events/not-a-uuid', '/id'],
    ['/v1/subjects/NOT_A_SLUG/events', '/subject'],
  ])('%s', async (url, path) => {
    const res = await get(url)
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
  })

  it.each([
    "1' or '1'='1",
    '1; drop table events; --',
    "' union select * from pg_user --",
    '$$; select pg_sleep(10); $$',
  ])('treats SQL in every parameter as data: %s', async (attack) => {
    const q = encodeURIComponent(attack)
    for (const param of ['after', 'limit', 'type', 'subject', 'from', 'to']) {
      const res = await get(`/v1/events?${param}=${q}`)
      expect(res.statusCode).toBe(400)
      expect(res.body).not.toMatch(/syntax error at or near|relation "|column "|internal/i)
    }
    expect((await get(`/v1/subjects/${q}/events`)).statusCode).toBe(400)
    expect((await get(`/v1/events/${q}`)).statusCode).toBe(400)
    expect((await get('/v1/events')).json().events).toHaveLength(stored.length)
  })
})
