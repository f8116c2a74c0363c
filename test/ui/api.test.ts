import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'

/** The parts of the public API the timeline explorer is built on: the log's head, periods, names. */
let t: TestApp
let head = 0

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await loadSeeds(t.store, catalogue, defaultSeedsDir)
  head = await t.store.headPosition()
})
afterAll(() => t.close())

const get = async (url: string) => {
  const res = await t.inject(`${url}${url.includes('?') ? '&' : '?'}consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

type Period = { period: string; precision: string; from: string; count: number }

describe('GET /v1/events/head', () => {
  it("is the latest event's position: where to follow the log from", async () => {
    expect((await t.app.inject('/v1/events/head')).json()).toEqual({ position: head })
  })
})

describe('GET /v1/timeline/periods', () => {
  it('counts every event of the timeline once, in valid-time order', async () => {
    const { periods, timeZone } = await get('/v1/timeline/periods')
    const timeline = await get('/v1/timeline?limit=1000')
    expect(timeZone).toBe('UTC')
    expect(periods.reduce((sum: number, p: Period) => sum + p.count, 0)).toBe(timeline.events.length)
    const starts = periods.map((p: Period) => p.from)
    expect(starts).toEqual([...starts].sort())
  })

  it('keeps facts dated only to a year apart from the months of that year', async () => {
    // The seeds' facts dated only to 2024 are registrations: reference data, shown with kind=all.
    const { periods } = await get('/v1/timeline/periods?from=2024&to=2024&kind=all')
    const year = periods.find((p: Period) => p.period === '2024')
    expect(year).toMatchObject({ precision: 'year', from: '2024-01-01T00:00:00.000Z' })
    expect(periods.find((p: Period) => p.period === '2024-05')).toMatchObject({ precision: 'month' })
    expect(periods.indexOf(year)).toBe(0)
  })

  it('reads each period back with from, to and precision', async () => {
    const { periods } = await get('/v1/timeline/periods')
    for (const p of periods as Period[]) {
      const precision = p.precision === 'year' ? 'year' : 'month,day,instant'
      const page = await get(`/v1/timeline?from=${p.period}&to=${p.period}&precision=${precision}&limit=1000`)
      expect(page.events.length, p.period).toBe(p.count)
    }
  })

  it('takes the filters of the timeline', async () => {
    const { periods } = await get('/v1/timeline/periods?type=price.*')
    expect(periods).toEqual([
      { period: '2024-05', precision: 'month', from: '2024-05-01T00:00:00.000Z', count: 4 },
    ])
    const qwen = (await get('/v1/timeline/periods?subject=qwen-long&precision=day')).periods
    expect(qwen.map((p: Period) => [p.period, p.count])).toEqual([['2024-05', 1]])
  })

  it('answers nothing for a knownAt before anything was recorded', async () => {
    expect((await get('/v1/timeline/periods?knownAt=2000-01-01')).periods).toEqual([])
  })

  it.each([
    ['precision', 'decade'],
    ['type', "x'; drop table events; --"],
    ['subject', "1' or '1'='1"],
    ['from', '2024-02-30'],
  ])('refuses %s=%s with a 400 that names it', async (name, value) => {
    const res = await t.inject(`/v1/timeline/periods?${name}=${encodeURIComponent(value)}`)
    expect(res.statusCode).toBe(400)
    expect(JSON.stringify(res.json())).toContain(name)
  })
})

describe('GET /v1/entities', () => {
  it('names every entity in English and as written locally', async () => {
    const { entities } = await get('/v1/entities')
    expect(entities).toContainEqual({
      slug: 'tencent',
      kind: 'company',
      name: 'Tencent',
      localName: '腾讯',
      owner: null,
    })
    expect(entities).toContainEqual(expect.objectContaining({ slug: 'qwen-long', kind: 'product' }))
    const names = entities.map((e: { name: string }) => e.name)
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en')))
  })

  it('knows only what was recorded by knownAt', async () => {
    expect((await get('/v1/entities?knownAt=2000-01-01')).entities).toEqual([])
  })
})

describe('in another market time zone', () => {
  it("counts months in the market's time zone", async () => {
    const shanghai = await startTestApp({ worker: true, env: { MARKET_TZ: 'Asia/Shanghai' } })
    try {
      const { events } = (
        await shanghai.inject({
          method: 'POST',
          url: '/v1/events',
          payload: { events: [registration('doubao', 'Doubao'), priceChange('doubao', '0.0008')] },
        })
      ).json()
      const res = await shanghai.inject(
        `/v1/timeline/periods?kind=all&consistentWith=${events.at(-1).position}`,
      )
      expect(res.json()).toMatchObject({
        timeZone: 'Asia/Shanghai',
        periods: [
          { period: '2024', precision: 'year', from: '2023-12-31T16:00:00.000Z', count: 1 },
          { period: '2024-05', precision: 'month', from: '2024-04-30T16:00:00.000Z', count: 1 },
        ],
      })
    } finally {
      await shanghai.close()
    }
  })
})
