import type { AddressInfo } from 'node:net'
import { DateTime } from 'luxon'
import { afterEach, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { createEventStore } from '../../src/store/event-store.js'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'
import { eventually } from '../support/eventually.js'
import { connectWithSlowAppends } from '../support/slow-append.js'
import { type SseMessage, SseReader } from '../support/sse-reader.js'

const open: TestApp[] = []
const readers: SseReader[] = []

afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close()
  for (const t of open.splice(0)) await t.close()
})

async function serve(env: NodeJS.ProcessEnv = {}): Promise<{ t: TestApp; base: string }> {
  const t = await startTestApp({ env: { FEED_POLL: '10m', ...env } })
  open.push(t)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = t.app.server.address() as AddressInfo
  return { t, base: `http://127.0.0.1:${port}` }
}

async function follow(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await SseReader.open(url, { authorization: `Bearer ${testAdminKey}`, ...headers })
  readers.push(reader)
  return reader
}

/** Waits until the feed has joined the hub, so that what is appended next is after its start. */
async function joined(t: TestApp, count = 1): Promise<void> {
  await eventually('the feed joined', () => t.app.feedHub.stats().length >= count, 5000)
}

const prices = (n: number, subject = 'qwen-long'): EventInput[] =>
  Array.from({ length: n }, (_, i) => priceChange(subject, `0.${String(i + 1).padStart(4, '0')}`))

async function received(reader: SseReader, count: number): Promise<void> {
  await eventually(`${count} messages`, () => reader.messages.length >= count, 10_000)
}

describe('GET /v1/feed', () => {
  it('sends facts as they are recorded, in position order, each with its position as id', async () => {
    const { t, base } = await serve()
    const reader = await follow(`${base}/v1/feed`)
    await joined(t)
    const { events } = await t.store.append(prices(5))
    // Appended one by one as well: each append wakes the feed (FEED_POLL is 10 min here).
    for (const event of prices(3, 'doubao')) await t.store.append([event])
    await received(reader, 8)
    const positions = reader.messages.map((m) => m.data.position)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    expect(reader.messages.map((m) => m.id)).toEqual(positions.map(String))
    expect(reader.messages.every((m) => m.event === 'recorded')).toBe(true)
    expect(reader.messages[0]?.data).toEqual(events[0])
  })

  it('lets through only the types and subjects asked for', async () => {
    const { t, base } = await serve()
    const reader = await follow(`${base}/v1/feed?types=price.*&subjects=qwen-long,ernie-speed`)
    await joined(t)
    await t.store.append([
      priceChange('qwen-long', '0.1'),
      registration('qwen-long'),
      priceChange('doubao', '0.2'),
      priceChange('ernie-speed', '0'),
    ])
    const marker = await t.store.append([priceChange('ernie-speed', '0.3')])
    await eventually(
      'the marker',
      () => reader.messages.some((m) => m.id === String(marker.events[0]?.position)),
      10_000,
    )
    expect(reader.messages.map((m) => [m.data.type, m.data.subject])).toEqual([
      ['price.changed', 'qwen-long'],
      ['price.changed', 'ernie-speed'],
      ['price.changed', 'ernie-speed'],
    ])
  })

  it('resumes after a dropped connection with Last-Event-ID, losing and repeating nothing', async () => {
    const { t, base } = await serve({ FEED_PAGE_SIZE: '7' })
    const { events } = await t.store.append(prices(40))
    const first = await follow(`${base}/v1/feed?after=0`)
    await received(first, 15)
    first.close()
    const seen = first.messages.slice()
    const last = seen.at(-1)?.id ?? ''
    const { events: later } = await t.store.append(prices(10, 'doubao'))
    const second = await follow(`${base}/v1/feed`, { 'last-event-id': last })
    await received(second, events.length + later.length - seen.length)
    const all = [...seen, ...second.messages].map((m) => m.data.position)
    expect(all).toEqual([...events, ...later].map((e) => e.position))
  })

  it('resumes with ?after=<position> as with the same Last-Event-ID', async () => {
    const { t, base } = await serve()
    const { events } = await t.store.append(prices(12))
    const cut = events[4]?.position ?? 0
    const reader = await follow(`${base}/v1/feed?after=${cut}`)
    await received(reader, 7)
    const marker = await t.store.append(prices(1, 'doubao'))
    await received(reader, 8)
    expect(reader.messages.map((m) => m.data.position)).toEqual(
      [...events.slice(5), ...marker.events].map((e) => e.position),
    )
  })

  it('sends heartbeat comments on a quiet stream', async () => {
    const { base } = await serve({ FEED_HEARTBEAT: '50ms' })
    const reader = await follow(`${base}/v1/feed`)
    await eventually('three heartbeats', () => reader.comments >= 4, 5000)
    expect(reader.messages).toEqual([])
  })

  it('sends an effective notice when a fact recorded ahead of its time takes effect, once', async () => {
    const { t, base } = await serve()
    const reader = await follow(`${base}/v1/feed`)
    await joined(t)
    const soon = DateTime.now().setZone('Asia/Shanghai').plus({ seconds: 2 }).toISO() ?? ''
    const [planned] = (await t.store.append([priceChange('doubao', '0.0008', { occurredAt: soon })])).events
    if (!planned) throw new Error('nothing appended')
    await received(reader, 1)
    expect(reader.messages[0]).toMatchObject({ event: 'recorded', id: String(planned.position) })
    expect(Date.parse(planned.effectiveFrom)).toBeGreaterThan(Date.now())
    await received(reader, 2)
    const notice = reader.messages[1]
    expect(notice).toMatchObject({ event: 'effective', id: `${planned.position}:${planned.position}` })
    expect(notice?.data).toEqual(planned)

    // From the recorded id: the notice is still to come. From the notice's id: nothing of either.
    const before = await follow(`${base}/v1/feed`, { 'last-event-id': String(planned.position) })
    const after = await follow(`${base}/v1/feed`, { 'last-event-id': notice?.id ?? '' })
    await joined(t, 3)
    const marker = (await t.store.append(prices(1)))?.events[0]
    await received(before, 2)
    await received(after, 1)
    expect(before.messages.map((m) => [m.event, m.data.position])).toEqual([
      ['effective', planned.position],
      ['recorded', marker?.position],
    ])
    expect(after.messages.map((m) => [m.event, m.data.position])).toEqual([['recorded', marker?.position]])
  })

  it('keeps feed order while appends that took their recordedAt are still committing', async () => {
    const { t, base } = await serve()
    const reader = await follow(`${base}/v1/feed`)
    await joined(t)
    // Each append pauses 5–25 ms between taking its recordedAt and committing: a notice due in
    // that window must wait for the fact recorded before it.
    const slow = await connectWithSlowAppends(t.database.url, { withoutLogLock: false })
    const writers = Array.from({ length: 4 }, () => createEventStore(slow.db, catalogue, t.config.marketTz))
    const facts = (
      await Promise.all(
        writers.map(async (writer, w) => {
          const mine = []
          for (let i = 0; i < 25; i++) {
            const at = DateTime.now()
              .setZone('Asia/Shanghai')
              .plus({ milliseconds: 10 + ((i * 37 + w * 11) % 80) })
            const [event] = (
              await writer.append([
                priceChange(`writer-${w}`, `0.${i + 1}`, { occurredAt: at.toISO() ?? '' }),
              ])
            ).events
            if (event) mine.push(event)
          }
          return mine
        }),
      ).finally(() => slow.close())
    ).flat()
    const ahead = facts.filter((e) => Date.parse(e.effectiveFrom) > Date.parse(e.recordedAt))
    expect(ahead.length).toBeGreaterThan(10)
    await received(reader, facts.length + ahead.length)
    const key = (m: SseMessage) =>
      [
        Date.parse(m.event === 'recorded' ? m.data.recordedAt : m.data.effectiveFrom),
        m.event === 'recorded' ? 0 : 1,
        m.data.position,
      ] as const
    const keys = reader.messages.map(key)
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
    expect(keys).toEqual(sorted)
    expect(new Set(reader.messages.map((m) => m.id)).size).toBe(facts.length + ahead.length)
  })

  it('sends retractions like any other fact', async () => {
    const { t, base } = await serve()
    const reader = await follow(`${base}/v1/feed?types=event.retracted`)
    await joined(t)
    const [fact] = (await t.store.append(prices(1))).events
    const retraction: EventInput = {
      type: 'event.retracted',
      subject: 'qwen-long',
      occurredAt: '2024-06',
      data: { eventId: fact?.id ?? '', reason: 'misread the article' },
    }
    await t.store.append([retraction])
    await received(reader, 1)
    expect(reader.messages[0]?.data).toMatchObject({ type: 'event.retracted' })
  })

  it('reads no further ahead than a slow client takes, and sends it everything once it reads', async () => {
    const pageSize = 50
    const { t, base } = await serve({ FEED_PAGE_SIZE: String(pageSize) })
    const reader = await follow(`${base}/v1/feed`)
    await joined(t)
    reader.pause()
    const total = 20_000
    const appended: number[] = []
    for (let i = 0; i < total / 1000; i++) {
      const { events } = await t.store.append(prices(1000, `product-${i}`))
      appended.push(...events.map((e) => e.position))
    }
    // The socket is full and the feed waits for it: the count of pages read stops growing.
    let pages = -1
    await eventually(
      'the feed stops reading',
      async () => {
        const now = t.app.feedHub.stats()[0]?.pagesRead ?? 0
        const still = now === pages
        pages = now
        return still && now > 0
      },
      20_000,
      500,
    )
    expect(pages * pageSize).toBeLessThan(total)
    reader.resume()
    await received(reader, total)
    expect(reader.messages.map((m) => m.data.position)).toEqual(appended)
  })

  it('disconnects a client that takes nothing for the drain timeout', async () => {
    const { t, base } = await serve({ FEED_PAGE_SIZE: '100', FEED_DRAIN_TIMEOUT: '300ms' })
    const reader = await follow(`${base}/v1/feed`)
    await joined(t)
    reader.pause()
    for (let i = 0; i < 20; i++) await t.store.append(prices(1000, `product-${i}`))
    await eventually('the slow feed is dropped', () => t.app.feedHub.stats().length === 0, 20_000)
  })

  it('ends its streams when the app closes', async () => {
    const { t, base } = await serve()
    const reader = await follow(`${base}/v1/feed`)
    await joined(t)
    open.splice(open.indexOf(t), 1)
    await t.close()
    await eventually('the stream ended', () => reader.ended, 5000)
    expect(t.app.feedHub.stats()).toEqual([])
  })

  it('needs a key with the read scope when reads are not public', async () => {
    const { base } = await serve({ READ_ACCESS: 'key' })
    const reader = await SseReader.open(`${base}/v1/feed`)
    readers.push(reader)
    expect(reader.status).toBe(401)
  })

  it('lets one caller hold FEED_STREAMS_PER_CALLER feeds at once, refuses one more with a 429, and frees a slot when a feed closes', async () => {
    const { t, base } = await serve({ FEED_STREAMS_PER_CALLER: '2' })
    const first = await follow(`${base}/v1/feed`)
    await follow(`${base}/v1/feed`)
    await joined(t, 2)
    const refused = await fetch(`${base}/v1/feed`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${testAdminKey}` },
    })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await refused.json()) as { detail: string }).detail).toContain('FEED_STREAMS_PER_CALLER=2')
    // Another caller is not held back by this one.
    const created = await t.inject({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'feeds', scopes: ['read'] },
    })
    const other = await follow(`${base}/v1/feed`, { authorization: `Bearer ${created.json().key}` })
    expect(other.status).toBe(200)
    // A closed feed gives its slot back at once, without waiting for the feed's next read.
    first.close()
    await eventually(
      'a slot given back',
      async () => {
        const again = await follow(`${base}/v1/feed`)
        if (again.status !== 200) again.close()
        return again.status === 200
      },
      5000,
    )
  })

  it('answers a bad types, subjects or Last-Event-ID with a 400 naming it', async () => {
    const { base } = await serve()
    for (const [query, headers, field] of [
      ['types=Price!', {}, '/types'],
      ['types=nothing.here', {}, '/types'],
      ['subjects=Qwen_Long', {}, '/subjects'],
      ['after=-1', {}, '/after'],
      ['after=999999', {}, '/after'],
      ['', { 'last-event-id': 'abc' }, '/last-event-id'],
    ] as const) {
      const reader = await follow(`${base}/v1/feed?${query}`, headers)
      expect(reader.status, query).toBe(400)
      await eventually('the problem', () => reader.ended, 5000)
      const problem = JSON.parse(reader.body)
      expect(
        problem.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(field)
    }
  })
})

describe('GET /v1/feed without Accept: text/event-stream', () => {
  it('answers the stream up to the head as the request came, and ends', async () => {
    const { t } = await serve()
    const { events } = await t.store.append(prices(3))
    const res = await t.inject(`/v1/feed?after=${events[0]?.position}`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
    const ids = [...res.body.matchAll(/^id: (.+)$/gm)].map((m) => m[1])
    expect(ids).toEqual(events.slice(1).map((e) => String(e.position)))
  })
})
