import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HistoryAnswerBody, HistoryChange } from '../../src/history/schemas.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { pauseAndNoteTime, smallMarket } from '../support/small-market.js'

/**
 * GET /v1/subjects/:subject/history on a small market like the article's: a product whose input
 * price is cut and whose cut to its output price is planned, a company whose funding figure is
 * restated by a retraction and a corrected round, a relation taken back, and an alliance joined.
 */
let t: TestApp
const market = smallMarket('hs', () => t.store)
const { append, fact, ids, retraction } = market
/** Between the two batches: what was known before the corrections. */
let beforeCorrections = ''
const daily = (publishedAt: string) => ({
  publisher: '证券日报',
  title: 'Price war',
  publishedAt,
  quote: 'Qwen-Long input price cut 97%',
})

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await append([
    ...market.registered('Cloud', 'AI', 'Base'),
    market.launch(),
    market.priceMarch(),
    market.priceCut({ source: daily('2024-06') }),
    fact('plannedOutput', {
      type: 'price.changed',
      subject: 'hs-long',
      occurredAt: '2024-07',
      data: { component: 'output', amount: '0.001', currency: 'CNY', unit: '1K tokens', status: 'planned' },
    }),
    market.builtOn(),
    fact('roundA', {
      type: 'funding.round_closed',
      subject: 'hs-cloud',
      occurredAt: '2024-02',
      data: { round: 'A', amount: { value: '100000000', currency: 'CNY' }, investors: ['hs-ai'] },
    }),
    market.formed('cloud'),
    market.joined('ai'),
  ])
  beforeCorrections = await pauseAndNoteTime()
  await append([
    retraction('roundRetracted', {
      of: 'roundA',
      subject: 'hs-cloud',
      reason: 'the round raised 150 million, not 100',
    }),
    fact('roundRestated', {
      type: 'funding.round_closed',
      subject: 'hs-cloud',
      occurredAt: '2024-02',
      data: { round: 'A', amount: { value: '150000000', currency: 'CNY' }, investors: ['hs-ai'] },
    }),
    market.builtOnRetracted('relationRetracted', 'it integrates HS Base, it is not built on it'),
  ])
}, 60_000)
afterAll(() => t.close())

async function history(subject: string, query = ''): Promise<HistoryAnswerBody> {
  const res = await t.inject(`/v1/subjects/${subject}/history?consistentWith=${market.head}${query}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const summary = (changes: readonly HistoryChange[]) =>
  changes.map((c) => [c.effectiveFrom.slice(0, 10), c.model, Object.values(c.key).join(' '), c.eventId])

describe('GET /v1/subjects/:subject/history', () => {
  it("tells a product's price cut as the step from the old price row to the new one, with its source", async () => {
    const { changes } = await history('hs-long')
    const prices = changes.filter((c) => c.model === 'price' && !c.planned)
    expect(summary(prices)).toEqual([
      ['2024-03-01', 'price', 'hs-long input', ids.priceMarch],
      ['2024-05-21', 'price', 'hs-long input', ids.priceCut],
    ])
    const [march, cut] = prices
    expect(march?.before).toBeNull()
    expect(cut?.before).toEqual(march?.after)
    expect(cut?.before).toMatchObject({ amount: '0.02', eventId: ids.priceMarch })
    expect(cut?.after).toMatchObject({ amount: '0.0005', effectiveFrom: '2024-05-21T00:00:00.000Z' })
    expect(cut).toMatchObject({ precision: 'day', retracted: null, planned: false, source: daily('2024-06') })
    expect(march?.source).toBeNull()
    const asOf = await t.inject(`/v1/prices?product=hs-long&asOf=2024-05-21&consistentWith=${market.head}`)
    expect(asOf.json().prices).toEqual([cut?.after])
  })

  it('lists every change in valid-time order, the launch first', async () => {
    const { changes } = await history('hs-long')
    const times = changes.map((c) => c.effectiveFrom)
    expect(times).toEqual([...times].sort())
    expect(changes[0]).toMatchObject({ model: 'product', key: { product: 'hs-long' }, before: null })
  })

  it('shows a planned price as a plan beside the price in effect, and it changes no later row', async () => {
    const { changes } = await history('hs-long')
    const plans = changes.filter((c) => c.planned)
    expect(plans).toHaveLength(1)
    expect(plans[0]).toMatchObject({
      model: 'price',
      key: { product: 'hs-long', component: 'output' },
      eventId: ids.plannedOutput,
      status: 'planned',
      before: null,
      after: { product: 'hs-long', component: 'output', amount: '0.001', eventId: ids.plannedOutput },
    })
    const prices = await t.inject(`/v1/prices?product=hs-long&consistentWith=${market.head}`)
    expect(prices.json().prices.map((p: { component: string }) => p.component)).toEqual(['input'])
  })

  it('keeps a restated funding figure visible: the retracted round with its reason, then the corrected one', async () => {
    const { changes } = await history('hs-cloud')
    const rounds = changes.filter((c) => c.model === 'funding-round')
    expect(summary(rounds)).toEqual([
      ['2024-02-01', 'funding-round', `hs-cloud ${ids.roundA}`, ids.roundA],
      ['2024-02-01', 'funding-round', `hs-cloud ${ids.roundRestated}`, ids.roundRestated],
    ])
    const [retracted, restated] = rounds
    expect(retracted?.retracted).toMatchObject({
      reason: 'the round raised 150 million, not 100',
      eventId: ids.roundRetracted,
    })
    expect(retracted?.before).toBeNull()
    expect(retracted?.after).toMatchObject({ amount: { value: '100000000', currency: 'CNY' } })
    expect(restated?.retracted).toBeNull()
    expect(restated?.after).toMatchObject({ amount: { value: '150000000', currency: 'CNY' } })
  })

  it('as known before the corrections, the first figure stands and the restated one is not there', async () => {
    const { knownAt, changes } = await history(
      'hs-cloud',
      `&knownAt=${encodeURIComponent(beforeCorrections)}`,
    )
    expect(knownAt).toBe(beforeCorrections)
    const rounds = changes.filter((c) => c.model === 'funding-round')
    expect(summary(rounds)).toEqual([['2024-02-01', 'funding-round', `hs-cloud ${ids.roundA}`, ids.roundA]])
    expect(rounds[0]?.retracted).toBeNull()
  })

  it('a retracted relation stays as a correction and changes no later before', async () => {
    const { changes } = await history('hs-long')
    const relations = changes.filter((c) => c.model === 'relation')
    expect(relations).toHaveLength(1)
    expect(relations[0]).toMatchObject({
      eventId: ids.builtOn,
      before: null,
      after: { from: 'hs-long', to: 'hs-base', kind: 'built-on' },
      retracted: { reason: 'it integrates HS Base, it is not built on it', eventId: ids.relationRetracted },
    })
  })

  it("an alliance's history is its formation and its members' joins", async () => {
    const { changes } = await history('hs-alliance')
    expect(summary(changes)).toEqual([
      ['2024-01-01', 'alliance', 'hs-alliance', ids.formed],
      ['2024-01-01', 'alliance-member', 'hs-alliance hs-cloud', ids.formed],
      ['2024-05-01', 'alliance-member', 'hs-alliance hs-ai', ids.joined],
    ])
  })

  it('from and to bound the changes by effectiveFrom, as market dates', async () => {
    const { changes } = await history('hs-long', '&from=2024-03&to=2024-05-21')
    expect(summary(changes)).toEqual([
      ['2024-03-01', 'price', 'hs-long input', ids.priceMarch],
      ['2024-05-21', 'price', 'hs-long input', ids.priceCut],
    ])
    const late = await history('hs-long', '&from=2024-05-22')
    expect(late.changes.map((c) => c.eventId)).toEqual([ids.plannedOutput])
  })

  it('with reportedBy, a fact published later does not count yet', async () => {
    const { reportedBy, changes } = await history('hs-long', '&reportedBy=2024-05-31')
    expect(reportedBy).toBe('2024-05-31T23:59:59.999Z')
    expect(changes.map((c) => c.eventId)).not.toContain(ids.priceCut)
    const after = await history('hs-long', '&reportedBy=2024-06')
    expect(after.changes.map((c) => c.eventId)).toContain(ids.priceCut)
  })

  it('a subject the service does not know is a 404 naming subject', async () => {
    const res = await t.inject('/v1/subjects/hs-nobody/history')
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors).toEqual([{ path: '/subject', message: 'unknown subject' }])
  })

  it.each([
    ['knownAt', '2024-02-30'],
    ['from', '2024-13'],
    ['to', 'yesterday'],
    ['reportedBy', '2024-00'],
  ])('a bad %s is a 400 naming it', async (field, value) => {
    const res = await t.inject(`/v1/subjects/hs-long/history?${field}=${value}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(`/${field}`)
  })

  it('a bad subject slug is a 400 naming subject', async () => {
    const res = await t.inject('/v1/subjects/HS%20Long/history')
    expect(res.statusCode, res.body).toBe(400)
    expect(JSON.stringify(res.json().errors)).toContain('subject')
  })
})
