import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { waitUntilApplied } from '../../src/projector/consistency.js'
import { loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { eventually } from '../support/eventually.js'

/**
 * GET /v1/series over a small market, in a zone that is not UTC (Asia/Shanghai, UTC+8): every
 * point is the end of its month, quarter or year there.
 */
let t: TestApp
let head = 0
beforeAll(async () => {
  t = await startTestApp({ worker: true, env: { MARKET_TZ: 'Asia/Shanghai' } })
  await loadSeeds(t.store, catalogue)
  await append(
    price('2024-02-10', '0.02'),
    price('2024-05-21', '0.0005'),
    // Says the price before August was 0.001, not the 0.0005 of May: the better-informed answer.
    price('2024-08', '0.0008', '0.001'),
    {
      type: 'alliance.formed',
      subject: 'series-alliance',
      occurredAt: '2024-03',
      data: alliance(['a', 'b']),
    },
    {
      type: 'alliance.member_joined',
      subject: 'series-alliance',
      occurredAt: '2024-05',
      data: { member: 'member-c' },
    },
    {
      type: 'alliance.member_left',
      subject: 'series-alliance',
      occurredAt: '2024-08',
      data: { member: 'member-a' },
    },
    round('2023-06', { value: '100', currency: 'CNY' }),
    round('2024-03', { value: '50.5', currency: 'CNY' }),
    round('2024-09', { value: '10', currency: 'USD' }),
    round('2024-10'),
    metric('2024-02', '10', '2024'),
    metric('2024-04', '12'),
    metric('2024-06', '11', '2024'),
  )
}, 60_000)
afterAll(() => t.close())

async function append(...events: EventInput[]): Promise<readonly RecordedEvent[]> {
  const stored = (await t.store.append(events)).events
  head = stored.at(-1)?.position ?? head
  return stored
}

function price(occurredAt: string, amount: string, previousAmount?: string): EventInput {
  return {
    type: 'price.changed',
    subject: 'series-model',
    occurredAt,
    data: {
      component: 'input',
      amount,
      currency: 'CNY',
      unit: '1K tokens',
      ...(previousAmount ? { previousAmount } : {}),
    },
  }
}

function alliance(members: string[]) {
  return {
    name: 'Series Alliance',
    conveners: ['series-convener'],
    members: members.map((m) => `member-${m}`),
  }
}

function round(occurredAt: string, amount?: { value: string; currency: string }): EventInput {
  return {
    type: 'funding.round_closed',
    subject: 'series-co',
    occurredAt,
    data: { round: `round ${occurredAt}`, investors: [], ...(amount ? { amount } : {}) },
  }
}

function metric(occurredAt: string, value: string, forPeriod?: string): EventInput {
  return {
    type: 'metric.reported',
    subject: 'series-co',
    occurredAt,
    data: { metric: 'customers', value, ...(forPeriod ? { forPeriod } : {}) },
  }
}

async function series(query: string): Promise<{ points: Array<{ at: string; value: unknown }> } & object> {
  const res = await t.inject(`/v1/series?${query}&consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const values = async (query: string) => (await series(query)).points.map((p) => p.value)

describe('GET /v1/series', () => {
  it('puts each point at the last instant of its month in the market time zone, as asOf reads it', async () => {
    const answer = await series(
      'measure=price&product=series-model&component=input&interval=month&from=2024-01&to=2024-03',
    )
    expect(answer.points.map((p) => p.at)).toEqual([
      '2024-01-31T15:59:59.999Z',
      '2024-02-29T15:59:59.999Z',
      '2024-03-31T15:59:59.999Z',
    ])
    const asOf = await t.inject(`/v1/prices?asOf=2024-02&product=series-model&consistentWith=${head}`)
    expect(asOf.json().asOf).toBe('2024-02-29T15:59:59.999Z')
  })

  it('tells the example market month by month: Qwen-Long at 0.02 until the May price war, then 0.0005', async () => {
    expect(
      await values('measure=price&product=qwen-long&component=input&interval=month&from=2024-01&to=2024-07'),
    ).toEqual(['0.02', '0.02', '0.02', '0.02', '0.0005', '0.0005', '0.0005'])
    expect(await values('measure=funding-raised&company=baichuan&interval=year&from=2022&to=2024')).toEqual([
      {},
      { USD: '300000000' },
      { USD: '300000000' },
    ])
    expect(
      await values(
        'measure=alliance-members&alliance=auto-llm-ecosystem-alliance&interval=quarter&from=2024-01&to=2024-12',
      ),
    ).toEqual([0, 5, 5, 5])
    const june = await t.inject(
      `/v1/alliances/auto-llm-ecosystem-alliance?asOf=2024-06&consistentWith=${head}`,
    )
    expect(june.json().members).toHaveLength(5)
  })

  it('answers a price month by month, with a later change’s previousAmount where it tells better', async () => {
    expect(
      await values(
        'measure=price&product=series-model&component=input&interval=month&from=2024-01&to=2024-09',
      ),
    ).toEqual([null, '0.02', '0.02', '0.02', '0.001', '0.001', '0.001', '0.0008', '0.0008'])
  })

  it('echoes the measure, its keys, the interval, knownAt and reportedBy', async () => {
    const answer = await series(
      'measure=price&product=series-model&component=input&interval=year&from=2024&to=2024&knownAt=2999&reportedBy=2999',
    )
    expect(answer).toMatchObject({
      measure: 'price',
      interval: 'year',
      product: 'series-model',
      component: 'input',
      knownAt: '2999-12-31T15:59:59.999Z',
      reportedBy: '2999-12-31T15:59:59.999Z',
      points: [{ at: '2024-12-31T15:59:59.999Z', value: '0.0008' }],
    })
  })

  it('counts an alliance’s members each quarter, 0 before it is formed', async () => {
    expect(
      await values(
        'measure=alliance-members&alliance=series-alliance&interval=quarter&from=2023-10&to=2024-09',
      ),
    ).toEqual([0, 2, 3, 2])
  })

  it('sums what a company raised by each year end per currency, exactly, rounds without an amount adding nothing', async () => {
    expect(await values('measure=funding-raised&company=series-co&interval=year&from=2022&to=2024')).toEqual([
      {},
      { CNY: '100' },
      { CNY: '150.5', USD: '10' },
    ])
  })

  it('answers the figure that took effect last, or the one for the period asked', async () => {
    const query = 'measure=metric&subject=series-co&metric=customers&interval=quarter&from=2024-01&to=2024-06'
    expect(await values(query)).toEqual(['10', '11'])
    expect(await values(`${query}&forPeriod=2024`)).toEqual(['10', '11'])
    expect(await values(query.replace('from=2024-01', 'from=2023-10'))).toEqual([null, '10', '11'])
    expect(
      await values(query.replace('to=2024-06', 'to=2024-05').replace('interval=quarter', 'interval=month')),
    ).toEqual([null, '10', '10', '12', '12'])
    const april = 'measure=metric&subject=series-co&metric=customers&interval=month&from=2024-04&to=2024-05'
    expect(await values(`${april}&forPeriod=2024`)).toEqual(['10', '10'])
    expect(await values(`${april}&forPeriod=2030`)).toEqual([null, null])
  })

  it('reads the series as known at knownAt: a later back-dated change is not in an earlier knowledge', async () => {
    const before = new Date().toISOString()
    await new Promise((resolve) => setTimeout(resolve, 5))
    await append({ ...price('2024-03-15', '0.03') })
    const query = 'measure=price&product=series-model&component=input&interval=month&from=2024-02&to=2024-04'
    expect(await values(`${query}&knownAt=${encodeURIComponent(before)}`)).toEqual(['0.02', '0.02', '0.02'])
    expect(await values(query)).toEqual(['0.02', '0.03', '0.03'])
  })

  it('answers CSV: at,value, and a column per currency for funding-raised', async () => {
    const prices = await t.inject(
      `/v1/series?measure=price&product=series-model&component=input&interval=month&from=2024-01&to=2024-02&format=csv&knownAt=2024-01-01T00:00:00Z`,
    )
    expect(prices.statusCode).toBe(200)
    expect(prices.headers['content-type']).toMatch(/^text\/csv/)
    expect(prices.body).toBe('at,value\r\n2024-01-31T15:59:59.999Z,\r\n2024-02-29T15:59:59.999Z,\r\n')
    const funding = await t.inject(
      `/v1/series?measure=funding-raised&company=series-co&interval=year&from=2023&to=2024&format=csv&consistentWith=${head}`,
    )
    expect(funding.body).toBe(
      'at,CNY,USD\r\n2023-12-31T15:59:59.999Z,100,0\r\n2024-12-31T15:59:59.999Z,150.5,10\r\n',
    )
  })

  it('refuses a measure without its keys, naming each missing one', async () => {
    const res = await t.inject('/v1/series?measure=price&product=series-model&interval=month&from=2024-01')
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().errors).toEqual([{ path: '/component', message: 'required by this measure' }])
    const metricRes = await t.inject('/v1/series?measure=metric&interval=month&from=2024-01')
    expect(metricRes.json().errors.map((e: { path: string }) => e.path)).toEqual(['/subject', '/metric'])
  })

  it('refuses from after to, more than 600 points (naming /to), and an unknown interval', async () => {
    const base = '/v1/series?measure=alliance-members&alliance=series-alliance'
    const backwards = await t.inject(`${base}&interval=month&from=2024-06&to=2024-05`)
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().errors[0].path).toBe('/from')
    const tooMany = await t.inject(`${base}&interval=month&from=1900&to=1950-01`)
    expect(tooMany.statusCode).toBe(400)
    expect(tooMany.json().errors[0].path).toBe('/to')
    const manyYears = await t.inject(`${base}&interval=year&from=1900&to=2024`)
    expect(manyYears.statusCode).toBe(200)
    const interval = await t.inject(`${base}&interval=week&from=2024-01`)
    expect(interval.statusCode).toBe(400)
    expect(JSON.stringify(interval.json().errors)).toContain('interval')
  })

  it('keeps a series with a `to` between requests, until a read model moves', async () => {
    const url =
      '/v1/series?measure=price&product=series-cached&component=output&interval=month&from=2024-01&to=2024-02'
    const cached = {
      ...price('2024-01', '1'),
      subject: 'series-cached',
      data: { component: 'output', amount: '1', currency: 'CNY', unit: '1K tokens' },
    }
    await append(cached)
    // Every read model has the fact: the batch's last notification drops no answer kept after it.
    const names = projections.map((projection) => projection.name)
    expect(await waitUntilApplied(t.database.handle.db, names, head, 10_000)).toBe(true)
    const first = await eventually(
      'the first answer, kept past a pause',
      async () => {
        const points: Array<{ value: unknown }> = (await t.inject(url)).json().points
        await sleep(100)
        return points[0]?.value === '1' && (t.app.answerCache?.count ?? 0) > 0 && points
      },
      5_000,
    )
    const kept = t.app.answerCache?.count ?? 0
    expect(kept).toBeGreaterThan(0)
    expect((await t.inject(url)).json().points).toEqual(first)
    expect(t.app.answerCache?.count).toBe(kept)
    await append({ ...cached, occurredAt: '2024-02', data: { ...cached.data, amount: '2' } })
    const moved = await eventually(
      'the answer after the change',
      async () => {
        const values = (await t.inject(url)).json().points.map((p: { value: unknown }) => p.value)
        return values[1] === '2' && values
      },
      5_000,
    )
    expect(moved).toEqual(['1', '2'])
  })

  it('runs to now when no `to` is given', async () => {
    const answer = await series('measure=alliance-members&alliance=series-alliance&interval=year&from=2024')
    expect(answer.points.length).toBe(new Date().getUTCFullYear() - 2024 + 1)
  })
})
