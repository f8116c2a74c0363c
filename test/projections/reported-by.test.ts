import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { loadSeeds } from '../../src/seeding.js'
import { reportedAtSql, reportedInstant } from '../../src/time/reported-at.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'
import { eventually } from '../support/eventually.js'

/**
 * `reportedBy`: only facts (and retractions) public by then count. The example market's articles
 * were published "2024-06": in the market time zone (Asia/Shanghai here) they count from the end
 * of June, not before.
 */
const zone = 'Asia/Shanghai'
let t: TestApp
let head = 0
beforeAll(async () => {
  t = await startTestApp({ worker: true, env: { MARKET_TZ: zone } })
  await loadSeeds(t.store, catalogue)
  head = await t.store.headPosition()
}, 60_000)
afterAll(() => t.close())

async function append(...events: EventInput[]): Promise<readonly RecordedEvent[]> {
  const stored = (await t.store.append(events)).events
  head = stored.at(-1)?.position ?? head
  return stored
}

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await t.inject(`${path}${path.includes('?') ? '&' : '?'}consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const price = (product: string, amount: string, publishedAt?: string): EventInput => ({
  type: 'price.changed',
  subject: product,
  occurredAt: '2024-05-01',
  data: { component: 'input', amount, currency: 'CNY', unit: 'per 1K tokens' },
  source: { publisher: 'Test Daily', ...(publishedAt ? { publishedAt } : {}) },
})

const prices = async (query: string) =>
  ((await get(`/v1/prices?asOf=2024-12-31&${query}`)).prices as { product: string; amount: string }[]).map(
    (p) => [p.product, p.amount],
  )

/** The rows of an answer that name their event, at any depth; entities (names) count as rows too. */
function rowsIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + rowsIn(item), 0)
  if (typeof value !== 'object' || value === null) return 0
  const own = 'eventId' in value || ('slug' in value && 'kind' in value) ? 1 : 0
  return own + rowsIn(Object.values(value))
}

/** One query of every read model, each answering rows from the example market. */
const everyReadModel = [
  '/v1/prices?asOf=2024-12-31',
  '/v1/products/qwen-long/prices?',
  '/v1/alliances?asOf=2024-12-31',
  '/v1/entities?',
  '/v1/funding?asOf=2024-12-31',
  '/v1/relations?asOf=2024-12-31',
  '/v1/companies/baidu?asOf=2024-12-31',
  '/v1/companies/baichuan?asOf=2024-12-31',
  '/v1/metrics?asOf=2024-12-31',
  '/v1/timeline?kind=all&limit=1000',
]

describe('reportedBy on read models', () => {
  it('counts a fact published "2024-06" from the end of June, in every read model', async () => {
    for (const path of everyReadModel) {
      const res = await t.inject(`${path}&reportedBy=2024-06-15&consistentWith=${head}`)
      // A company of which nothing was public yet is not known: 404, as at a knownAt before it.
      const company = path.startsWith('/v1/companies/')
      expect(res.statusCode, path).toBe(company ? 404 : 200)
      const none = company ? {} : res.json()
      const all = await get(`${path}&reportedBy=2024-06-30`)
      expect(rowsIn(none), path).toBe(0)
      expect(rowsIn(all), path).toBeGreaterThan(0)
      expect(all.reportedBy, path).toBe('2024-06-30T15:59:59.999Z')
      // Everything was published by the end of June: the answer is the one without reportedBy.
      const { reportedBy: _, knownAt: __, ...rest } = all
      const { knownAt: ___, ...unlimited } = await get(path)
      expect(rest, path).toEqual(unlimited)
    }
    const periods = await get('/v1/timeline/periods?reportedBy=2024-06-15')
    expect(periods.periods).toEqual([])
  })

  it('is part of the answer cache key: a kept answer is never the answer to another reportedBy', async () => {
    const count = async (query: string) => {
      const res = await t.inject(`/v1/prices?asOf=2024-12-31${query}`)
      expect(res.statusCode, res.body).toBe(200)
      return (res.json().prices as unknown[]).length
    }
    const all = await count('')
    expect(all).toBeGreaterThan(0)
    await eventually(
      'a kept answer',
      async () => {
        await count('')
        return t.app.answerCache?.count
      },
      5000,
    )
    expect(await count('&reportedBy=2024-06-15')).toBe(0)
    expect(await count('&reportedBy=2024-06-30')).toBe(all)
    expect(await count('&reportedBy=2024-06-15')).toBe(0)
  })

  it('counts a fact without publishedAt from its recordedAt', async () => {
    const [fact] = await append(
      registration('rb-free', 'RB Free', { data: { kind: 'product', name: 'RB Free' } }),
      price('rb-free', '1'),
    ).then((e) => e.slice(1))
    const recorded = new Date(fact?.recordedAt ?? 0)
    const justBefore = new Date(recorded.getTime() - 1).toISOString()
    expect(await prices(`product=rb-free&reportedBy=${encodeURIComponent(recorded.toISOString())}`)).toEqual([
      ['rb-free', '1'],
    ])
    expect(await prices(`product=rb-free&reportedBy=${encodeURIComponent(justBefore)}`)).toEqual([])
  })

  it('reads day and instant precision of publishedAt', async () => {
    await append(price('rb-day', '2', '2024-07-10'), price('rb-instant', '3', '2024-07-10T09:30:00+08:00'))
    expect(await prices('product=rb-day&reportedBy=2024-07-09')).toEqual([])
    expect(await prices('product=rb-day&reportedBy=2024-07-10')).toEqual([['rb-day', '2']])
    // The end of 2024-07-10 in Shanghai is 15:59:59.999Z: an instant a minute later counts it.
    expect(await prices('product=rb-day&reportedBy=2024-07-10T16:00:00Z')).toEqual([['rb-day', '2']])
    expect(await prices('product=rb-day&reportedBy=2024-07-10T15:59:00Z')).toEqual([])
    expect(await prices('product=rb-instant&reportedBy=2024-07-10T09:29:59%2B08:00')).toEqual([])
    expect(await prices('product=rb-instant&reportedBy=2024-07-10T09:30:00%2B08:00')).toEqual([
      ['rb-instant', '3'],
    ])
  })

  it('does not count a retraction published after reportedBy; with knownAt, both must hold', async () => {
    const [fact] = await append(price('rb-retracted', '4', '2024-07'))
    const knownBefore = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    await append({
      type: 'event.retracted',
      subject: 'rb-retracted',
      occurredAt: '2024-09',
      data: { eventId: fact?.id, reason: 'misread' },
      source: { publisher: 'Test Daily', publishedAt: '2024-09' },
    })
    const p = 'product=rb-retracted'
    expect(await prices(`${p}&reportedBy=2024-08`)).toEqual([['rb-retracted', '4']])
    expect(await prices(`${p}&reportedBy=2024-09`)).toEqual([])
    expect(await prices(p)).toEqual([])
    // Recorded before the retraction was: known then, whatever was reported.
    const known = `knownAt=${encodeURIComponent(knownBefore)}`
    expect(await prices(`${p}&${known}&reportedBy=2024-09`)).toEqual([['rb-retracted', '4']])
    // Reported by June? Not yet public then, whatever was known.
    expect(await prices(`${p}&${known}&reportedBy=2024-06`)).toEqual([])
  })

  it('rejects a date that is none, naming the field', async () => {
    const res = await t.inject('/v1/prices?reportedBy=2024-13')
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('reportedBy')
  })
})

describe('the reported instant', () => {
  it('is the same in TypeScript and in SQL', async () => {
    const published = [
      undefined,
      '2024',
      '2024-02',
      '2024-12',
      '2024-06-30',
      '2024-03-10',
      '2024-05-21T10:00:00+08:00',
      '2024-05-21T10:00Z',
      '2024-05-21T10:00:00.123456-05:00',
    ]
    const recordedAt = '2026-01-02T03:04:05.678Z'
    for (const tz of ['UTC', zone, 'America/New_York', 'Europe/London']) {
      for (const publishedAt of published) {
        const expected = reportedInstant({ recordedAt, source: publishedAt ? { publishedAt } : {} }, tz)
        const { rows } = await sql<{ at: Date }>`
          select ${reportedAtSql(sql`${publishedAt ?? null}::text`, sql`${recordedAt}::timestamptz`, tz)} as at
        `.execute(t.database.handle.db)
        expect(rows[0]?.at.toISOString(), `${publishedAt} in ${tz}`).toBe(new Date(expected).toISOString())
      }
    }
    expect(reportedInstant({ recordedAt, source: { publishedAt: '2024-06' } }, zone)).toBe(
      '2024-06-30T15:59:59.999Z',
    )
  })
})
