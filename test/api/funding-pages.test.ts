import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeCursor } from '../../src/queries/valid-time-cursor.js'
import { startTestApp, type TestApp } from '../support/app.js'

/**
 * GET /v1/funding is a list that grows with the log: paged like every list, with `limit` and
 * `next`, in valid-time order. Rounds share dates (and a back-dated round lands between others),
 * so a page boundary falls inside a date.
 */
let t: TestApp
let head = 0
const rounds = 37

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  const events = Array.from({ length: rounds }, (_, i) => ({
    type: 'funding.round_closed',
    subject: `company-${i % 5}`,
    // Five dates, appended out of valid-time order.
    occurredAt: `2023-0${1 + ((i * 3) % 5)}-15`,
    data: { round: `Round ${i}`, amount: { value: String(i + 1), currency: 'USD' }, investors: [] },
  }))
  const { events: appended } = await t.store.append(events)
  head = appended.at(-1)?.position ?? 0
})
afterAll(() => t.close())

type Round = { eventId: string; effectiveFrom: string; round: string }

const get = async (url: string) => {
  const res = await t.inject(`${url}&consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

describe('GET /v1/funding pages', () => {
  it('gives every round exactly once, in valid-time order, when followed page by page', async () => {
    const whole = (await get('/v1/funding?asOf=2024&limit=1000')).rounds as Round[]
    expect(whole).toHaveLength(rounds)
    expect(whole.map((r) => r.effectiveFrom)).toEqual(whole.map((r) => r.effectiveFrom).sort())
    const paged: Round[] = []
    let pages = 0
    for (let next: string | null = null; ; ) {
      const body = await get(`/v1/funding?asOf=2024&limit=5${next ? `&next=${next}` : ''}`)
      paged.push(...body.rounds)
      pages++
      next = body.next
      if (!next || pages > 20) break
      expect(body.rounds).toHaveLength(5)
    }
    expect(pages).toBe(8)
    expect(paged.map((r) => r.eventId)).toEqual(whole.map((r) => r.eventId))
    expect(new Set(paged.map((r) => r.eventId)).size).toBe(rounds)
  })

  it('answers 100 rounds when no limit is given, and a cursor to the rest', async () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      type: 'funding.round_closed',
      subject: 'many-rounds',
      occurredAt: '2022-06-01',
      data: { round: `Note ${i}`, investors: [] },
    }))
    const { events } = await t.store.append(many)
    const res = await t.inject(`/v1/funding?asOf=2022&consistentWith=${events.at(-1)?.position}`)
    expect(res.statusCode, res.body).toBe(200)
    const first = res.json()
    expect(first.rounds).toHaveLength(100)
    expect(first.next).toEqual(expect.any(String))
    const rest = await get(`/v1/funding?asOf=2022&next=${first.next}`)
    expect(rest.rounds).toHaveLength(20)
    expect(rest.next).toBeNull()
  })

  it('refuses a bad limit or next with a 400 naming the field', async () => {
    const forged = encodeCursor('2023-01-15T00:00:00.000Z', 1).replace(/.$/, '')
    for (const [url, field] of [
      ['/v1/funding?limit=0', '/limit'],
      ['/v1/funding?limit=1001', '/limit'],
      ['/v1/funding?limit=ten', '/limit'],
      ['/v1/funding?next=%24%24', '/next'],
      [`/v1/funding?next=${forged}`, '/next'],
      [`/v1/funding?next=${Buffer.from('99999-01-01|1').toString('base64url')}`, '/next'],
    ] as const) {
      const res = await t.inject(url)
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(
        res.json().errors.map((e: { path: string }) => e.path),
        url,
      ).toEqual([field])
    }
  })
})
