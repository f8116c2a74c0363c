import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'

/** The read models over the article's facts, built by a real worker in the background. */
let t: TestApp
let head = 0

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await loadSeeds(t.store, catalogue, defaultSeedsDir)
  head = await t.store.headPosition()
})
afterAll(() => t.close())

const get = async (url: string) => {
  const sep = url.includes('?') ? '&' : '?'
  const res = await t.inject(`${url}${sep}consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const priceOf = (
  body: { prices: Array<{ product: string; component: string; amount: string }> },
  product: string,
) => body.prices.find((p) => p.product === product)

describe('what the articles tell, as of any date', () => {
  it("gives Qwen-Long's input price before and after the May 2024 cut", async () => {
    const before = await get('/v1/prices?asOf=2024-05-10&product=qwen-long')
    expect(before.prices).toEqual([
      expect.objectContaining({
        product: 'qwen-long',
        component: 'input',
        amount: '0.02',
        currency: 'CNY',
        effectiveFrom: null,
      }),
    ])
    const after = await get('/v1/prices?asOf=2024-06-30&product=qwen-long')
    expect(after.prices).toEqual([
      expect.objectContaining({
        amount: '0.0005',
        unit: '1K tokens',
        effectiveFrom: '2024-05-21T00:00:00.000Z',
        company: 'alibaba-cloud',
        productName: 'Qwen-Long',
      }),
    ])
  })

  it("gives hunyuan-lite's price and context window before and after", async () => {
    // Made free with the Hunyuan upgrade, dated to its month (May 2024); the window is a plan.
    expect(priceOf(await get('/v1/prices?asOf=2024-04-30'), 'hunyuan-lite')?.amount).toBe('0.008')
    expect(priceOf(await get('/v1/prices?asOf=2024-05-01'), 'hunyuan-lite')?.amount).toBe('0')
    const timeline = await get('/v1/timeline?subject=hunyuan-lite&type=product.updated')
    expect(timeline.events).toHaveLength(1)
    expect(timeline.events[0].data).toMatchObject({
      previousContextWindowTokens: 4000,
      contextWindowTokens: 256000,
      status: 'planned',
    })
    expect(timeline.events[0].summary).toContain('4,000 → 256,000 tokens')
  })

  it('knows ERNIE Speed and ERNIE Lite are free from 2024-05-21, and nothing of their price before', async () => {
    const after = await get('/v1/prices?asOf=2024-05-21&company=baidu')
    expect(after.prices.map((p: { product: string; amount: string }) => [p.product, p.amount])).toEqual([
      ['ernie-lite', '0'],
      ['ernie-speed', '0'],
    ])
    expect((await get('/v1/prices?asOf=2024-05-20&company=baidu')).prices).toEqual([])
  })

  it("names the members of each of Volcano Engine's alliances, from May 2024 on", async () => {
    const body = await get('/v1/alliances?asOf=2024-06-30')
    const members = Object.fromEntries(
      body.alliances.map((a: { alliance: string; members: Array<{ member: string }> }) => [
        a.alliance,
        a.members.map((m) => m.member),
      ]),
    )
    expect(members).toEqual({
      'auto-llm-ecosystem-alliance': ['geely-auto', 'great-wall-motor', 'im-motors', 'jetour', 'seres'],
      'smart-device-llm-alliance': ['asus', 'honor', 'oppo', 'samsung', 'vivo', 'xiaomi'],
    })
    const auto = await get('/v1/alliances/auto-llm-ecosystem-alliance?asOf=2024-06-30')
    expect(auto).toMatchObject({
      name: 'Automotive Large Model Ecosystem Alliance',
      conveners: ['volcano-engine', 'china-ev100'],
    })
    expect((await get('/v1/alliances?asOf=2024-04-30')).alliances).toEqual([])
    expect((await t.inject('/v1/alliances/auto-llm-ecosystem-alliance?asOf=2024-04-30')).statusCode).toBe(404)
  })

  it("tells how much Baichuan had raised, and 01.AI's valuation, by the end of June 2024", async () => {
    const baichuan = await get('/v1/companies/baichuan?asOf=2024-06-30')
    expect(baichuan.fundingRounds).toEqual([
      expect.objectContaining({ round: 'A1', amount: { value: '300000000', currency: 'USD' } }),
    ])
    const zeroOne = await get('/v1/companies/01-ai?asOf=2024-06-30')
    expect(zeroOne.latestValuation).toMatchObject({ value: '1000000000', currency: 'USD', qualifier: 'over' })
    expect((await get('/v1/companies/baichuan?asOf=2023-09-30')).fundingRounds).toEqual([])
    const rounds = await get('/v1/funding?from=2023&to=2023')
    expect(rounds.rounds.map((r: { company: string }) => r.company)).toEqual(['baichuan', '01-ai'])
  })

  it("shows Baidu's products, stakes and Volcano Engine's alliances in company profiles", async () => {
    const baidu = await get('/v1/companies/baidu?asOf=2024-06-30')
    expect(baidu.products.map((p: { product: string }) => p.product)).toEqual(
      expect.arrayContaining(['ernie-speed', 'ernie-lite']),
    )
    expect(baidu.stakes.held.map((s: { company: string }) => s.company)).toEqual([
      'westlake-xinchen',
      'zhuhai-biyou',
    ])
    const volcano = await get('/v1/companies/volcano-engine?asOf=2024-06-30')
    expect(volcano.alliances.map((a: { alliance: string; role: string }) => [a.alliance, a.role])).toEqual([
      ['auto-llm-ecosystem-alliance', 'convener'],
      ['smart-device-llm-alliance', 'convener'],
    ])
    const kunlun = await get('/v1/companies/kunlun-tech?asOf=2024-06-30')
    expect(kunlun.partnerships[0].parties.map((p: { party: string }) => p.party)).toEqual([
      'kunlun-tech',
      'migu-music',
    ])
    expect((await t.inject('/v1/companies/nobody-at-all')).statusCode).toBe(404)
  })

  it('lists a product price history in valid-time order', async () => {
    const body = await get('/v1/products/qwen-long/prices')
    expect(body.changes).toEqual([
      expect.objectContaining({
        component: 'input',
        amount: '0.0005',
        previousAmount: '0.02',
        occurredAt: '2024-05-21',
      }),
    ])
  })

  it('tells the timeline in valid-time order with summaries', async () => {
    const body = await get('/v1/timeline?type=price.*')
    expect(body.events.map((e: { summary: string }) => e.summary)).toContain(
      'Alibaba Cloud cut Qwen-Long input price 0.02 → 0.0005 CNY/1K tokens (-97.5%)',
    )
    const dates = body.events.map((e: { effectiveFrom: string }) => e.effectiveFrom)
    expect(dates).toEqual([...dates].sort())
  })

  it('pages the timeline with an opaque cursor', async () => {
    const all = (await get('/v1/timeline?limit=1000')).events
    const seen: unknown[] = []
    let next: string | null = null
    for (let page = 0; page < 100; page++) {
      const body = await get(`/v1/timeline?limit=7${next ? `&next=${next}` : ''}`)
      seen.push(...body.events)
      next = body.next
      if (!next) break
    }
    expect(seen).toEqual(all)
  })

  it('reports every projection caught up to the head', async () => {
    const res = await t.inject('/v1/projections')
    const statuses = res.json()
    expect(statuses.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['entities', 'price-list', 'timeline']),
    )
    for (const s of statuses)
      expect(s).toMatchObject({ position: head, headPosition: head, lag: 0, status: 'running' })
  })
})

describe('bad point-in-time parameters', () => {
  it.each([
    ['/v1/prices?asOf=2024-02-30', '/asOf'],
    ['/v1/prices?knownAt=2024-13', '/knownAt'],
    ['/v1/prices?asOf=yesterday', '/asOf'],
    ['/v1/prices?consistentWith=-1', '/consistentWith'],
    ['/v1/prices?product=Qwen Long', '/product'],
    ['/v1/timeline?next=%24%24', '/next'],
    ['/v1/timeline?type=nothing.*', '/type'],
    ['/v1/timeline?kind=facts', '/kind'],
    ['/v1/funding?from=2024-5', '/from'],
  ])('%s is a 400 naming %s', async (url, path) => {
    const res = await t.inject(url)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
  })
})

describe('SQL in query parameters', () => {
  const attacks = ["1' or '1'='1", "x'; drop table events; --", "2024') union select * from api_keys --"]
  const endpoints: Array<[string, string[]]> = [
    ['/v1/prices', ['asOf', 'knownAt', 'product', 'company', 'consistentWith']],
    ['/v1/products/qwen-long/prices', ['knownAt', 'consistentWith']],
    ['/v1/alliances', ['asOf', 'knownAt', 'consistentWith']],
    ['/v1/alliances/auto-llm-ecosystem-alliance', ['asOf', 'knownAt']],
    ['/v1/companies/baidu', ['asOf', 'knownAt']],
    ['/v1/funding', ['from', 'to', 'asOf', 'knownAt', 'company']],
    ['/v1/timeline', ['from', 'to', 'type', 'subject', 'kind', 'knownAt', 'limit', 'next']],
  ]
  it.each(endpoints)('%s treats every parameter as data', async (path, params) => {
    for (const attack of attacks) {
      for (const param of params) {
        const res = await t.inject(`${path}?${param}=${encodeURIComponent(attack)}`)
        expect(res.statusCode, `${path} ${param}`).toBe(400)
        expect(res.body).not.toMatch(/syntax error at or near|relation "|column "/)
      }
      const inPath = await t.inject(`${path.replace(/[^/]+$/, encodeURIComponent(attack))}`)
      expect([400, 404]).toContain(inPath.statusCode)
    }
    expect((await t.store.headPosition()) >= head).toBe(true)
  })
})
