import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { startTestApp, type TestApp } from '../support/app.js'

/**
 * Planned and announced facts: no in-effect answer counts them, at any asOf; the timeline, the
 * price history and the company profile show them as plans.
 */
let t: TestApp
let head = 0
beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await append(
    {
      type: 'entity.registered',
      subject: 'acme',
      occurredAt: '2023',
      data: { kind: 'company', name: 'Acme' },
    },
    {
      type: 'entity.registered',
      subject: 'globex',
      occurredAt: '2023',
      data: { kind: 'company', name: 'Globex' },
    },
    {
      type: 'product.launched',
      subject: 'acme-lm',
      occurredAt: '2024-01',
      data: { company: 'acme', name: 'Acme LM', category: 'llm' },
    },
    price('acme-lm', '2024-02', '0.02'),
  )
})
afterAll(() => t.close())

type Status = 'planned' | 'announced'

function price(subject: string, occurredAt: string, amount: string, extra: object = {}): EventInput {
  return {
    type: 'price.changed',
    subject,
    occurredAt,
    data: { component: 'input', amount, currency: 'CNY', unit: '1K tokens', ...extra },
  }
}

async function append(...events: EventInput[]) {
  const res = await t.inject({ method: 'POST', url: '/v1/events', payload: { events } })
  expect(res.statusCode, res.body).toBe(201)
  const stored = res.json().events as Array<{ id: string; position: number; recordedAt: string }>
  head = stored.at(-1)?.position ?? head
  await sleep(5) // later appends get later recordedAt
  return stored
}

async function get(path: string) {
  const res = await t.inject(`${path}${path.includes('?') ? '&' : '?'}consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const asOfs = ['2024-01', '2024-02', '2024-03', '2024-04', '2024-06', '2025']

async function inputPrices(product: string) {
  const answers: Array<string | null> = []
  for (const asOf of asOfs) {
    const { prices } = await get(`/v1/prices?product=${product}&asOf=${asOf}`)
    answers.push(prices.find((p: { component: string }) => p.component === 'input')?.amount ?? null)
  }
  return answers
}

describe.each<Status>(['planned', 'announced'])('a price change that is %s', (status) => {
  it('leaves the price list unchanged at every asOf, previousAmount included', async () => {
    const before = await inputPrices('acme-lm')
    const [plan] = await append(price('acme-lm', '2024-04', '0.001', { previousAmount: '0.5', status }))
    expect(await inputPrices('acme-lm')).toEqual(before)
    expect(before).toEqual([null, '0.02', '0.02', '0.02', '0.02', '0.02'])
    const history = await get('/v1/products/acme-lm/prices')
    expect(history.changes.map((c: { status: string | null }) => c.status)).toEqual([null, status])
    expect(history.changes[1]).toMatchObject({ eventId: plan?.id, amount: '0.001', status })
    // Clean up for the other status: a retracted plan is gone from every answer.
    await append({
      type: 'event.retracted',
      subject: 'acme-lm',
      occurredAt: '2024-04',
      data: { eventId: plan?.id, reason: 'test' },
    })
  })

  it('is in the timeline with its status and a summary that says so', async () => {
    const [plan] = await append(price('acme-lm', '2024-05', '0.003', { status }))
    const { events } = await get('/v1/timeline?subject=acme-lm&type=price.changed')
    const row = events.find((e: { eventId: string }) => e.eventId === plan?.id)
    expect(row.status).toBe(status)
    expect(row.summary).toMatch(status === 'planned' ? /^Planned: / : /^Announced: /)
    const inEffect = events.find((e: { status: string | null }) => e.status === null)
    expect(inEffect.summary).not.toMatch(/^(Planned|Announced): /)
    const profile = await get('/v1/companies/acme')
    expect(profile.plans).toContainEqual({
      type: 'price.changed',
      subject: 'acme-lm',
      status,
      occurredAt: '2024-05',
      effectiveFrom: '2024-05-01T00:00:00.000Z',
      summary: row.summary,
      eventId: plan?.id,
    })
    await append({
      type: 'event.retracted',
      subject: 'acme-lm',
      occurredAt: '2024-05',
      data: { eventId: plan?.id, reason: 'test' },
    })
    expect((await get('/v1/companies/acme')).plans).toEqual([])
  })
})

describe('the same price change without a status', () => {
  it('changes the price from its date on', async () => {
    await append(price('acme-lm', '2024-04', '0.001'))
    expect(await inputPrices('acme-lm')).toEqual([null, '0.02', '0.02', '0.001', '0.001', '0.001'])
    const history = await get('/v1/products/acme-lm/prices')
    expect(history.changes.map((c: { status: string | null }) => c.status)).toEqual([null, null])
  })
})

describe('planned launches, updates, alliances and partnerships', () => {
  let ids: string[] = []
  beforeAll(async () => {
    const stored = await append(
      {
        type: 'product.launched',
        subject: 'acme-vision',
        occurredAt: '2024-03-10',
        data: { company: 'acme', name: 'Acme Vision', category: 'image-model', status: 'planned' },
      },
      {
        type: 'product.updated',
        subject: 'acme-lm',
        occurredAt: '2024-03-12',
        data: { summary: 'A longer context', contextWindowTokens: 256_000, status: 'planned' },
      },
      {
        type: 'alliance.formed',
        subject: 'open-lm-alliance',
        occurredAt: '2024-03-15',
        data: { name: 'Open LM Alliance', conveners: ['acme'], members: ['globex'], status: 'announced' },
      },
      {
        type: 'partnership.announced',
        subject: 'acme',
        occurredAt: '2024-03-20',
        data: { parties: ['acme', 'globex'], summary: 'Joint research', status: 'planned' },
      },
      {
        type: 'relation.established',
        subject: 'globex',
        occurredAt: '2024-03-25',
        data: { to: 'acme', kind: 'built-on', status: 'planned' },
      },
    )
    ids = stored.map((e) => e.id)
  })

  it('count in no in-effect answer', async () => {
    const acme = await get('/v1/companies/acme?asOf=2025')
    expect(acme.products.map((p: { product: string }) => p.product)).toEqual(['acme-lm'])
    expect(acme.partnerships).toEqual([])
    expect(acme.alliances).toEqual([])
    expect((await get('/v1/alliances?asOf=2025')).alliances).toEqual([])
    const alliance = await t.inject(`/v1/alliances/open-lm-alliance?asOf=2025&consistentWith=${head}`)
    expect(alliance.statusCode).toBe(404)
    const report = await t.inject('/v1/reports/market-snapshot?asOf=2025')
    const snapshot = report.json()
    expect(snapshot.products.map((p: { product: string }) => p.product)).toEqual(['acme-lm'])
    expect(snapshot.alliances).toEqual([])
  })

  it('still name what they name: a planned product is called by its name', async () => {
    const { entities } = await get('/v1/entities')
    expect(entities).toContainEqual(
      expect.objectContaining({ slug: 'acme-vision', name: 'Acme Vision', owner: 'acme' }),
    )
  })

  it('are the plans of each company they concern, as stated by asOf', async () => {
    const acme = await get('/v1/companies/acme?asOf=2025')
    expect(acme.plans.map((p: { eventId: string }) => p.eventId)).toEqual(ids)
    expect(acme.plans.map((p: { status: string }) => p.status)).toEqual([
      'planned',
      'planned',
      'announced',
      'planned',
      'planned',
    ])
    expect(acme.plans[1].summary).toBe(
      'Planned: Acme LM updated: A longer context (context window 256,000 tokens)',
    )
    expect(acme.plans[2].summary).toMatch(/^Announced: /)
    const globex = await get('/v1/companies/globex?asOf=2025')
    expect(globex.plans.map((p: { eventId: string }) => p.eventId)).toEqual(ids.slice(2))
    const midMarch = await get('/v1/companies/acme?asOf=2024-03-14')
    expect(midMarch.plans.map((p: { eventId: string }) => p.eventId)).toEqual(ids.slice(0, 2))
  })

  it('are gone from the plans as known after their retraction, and there as known before', async () => {
    const [retraction] = await append({
      type: 'event.retracted',
      subject: 'acme',
      occurredAt: '2024-03-20',
      data: { eventId: ids[3], reason: 'test' },
    })
    const now = await get('/v1/companies/acme?asOf=2025')
    expect(now.plans.map((p: { eventId: string }) => p.eventId)).not.toContain(ids[3])
    const before = new Date(Date.parse(retraction?.recordedAt as string) - 1).toISOString()
    const then = await get(`/v1/companies/acme?asOf=2025&knownAt=${before}`)
    expect(then.plans.map((p: { eventId: string }) => p.eventId)).toContain(ids[3])
  })
})

describe('the timeline kind', () => {
  const typesOf = async (kind?: string) => {
    const { events } = await get(`/v1/timeline?limit=1000${kind ? `&kind=${kind}` : ''}`)
    return new Set(events.map((e: { type: string }) => e.type))
  }

  it('leaves registrations out by default and with kind=fact', async () => {
    for (const types of [await typesOf(), await typesOf('fact')]) {
      expect(types.has('entity.registered')).toBe(false)
      expect(types.has('price.changed')).toBe(true)
    }
  })

  it('shows only registrations with kind=reference, and both with kind=all', async () => {
    expect([...(await typesOf('reference'))]).toEqual(['entity.registered'])
    const all = await typesOf('all')
    expect(all.has('entity.registered') && all.has('price.changed')).toBe(true)
  })

  it('counts the periods as the timeline shows them', async () => {
    for (const kind of ['fact', 'reference', 'all']) {
      const { periods } = await get(`/v1/timeline/periods?kind=${kind}`)
      const { events } = await get(`/v1/timeline?limit=1000&kind=${kind}`)
      expect(
        periods.reduce((sum: number, p: { count: number }) => sum + p.count, 0),
        kind,
      ).toBe(events.length)
    }
  })

  it('takes a type filter within the kind', async () => {
    const { events } = await get('/v1/timeline?type=entity.registered')
    expect(events).toEqual([])
    const registered = await get('/v1/timeline?type=entity.registered&kind=all')
    expect(registered.events.length).toBeGreaterThan(0)
  })

  it.each(['facts', 'REFERENCE', ''])('kind=%s is a 400 naming kind', async (kind) => {
    for (const path of ['/v1/timeline', '/v1/timeline/periods']) {
      const res = await t.inject(`${path}?kind=${kind}`)
      expect(res.statusCode, path).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('/kind')
    }
  })
})

describe('a policy announcement', () => {
  it('is in the default timeline with a summary that reads as one', async () => {
    await append(
      {
        type: 'entity.registered',
        subject: 'caict',
        occurredAt: '2020',
        data: { kind: 'institution', name: 'CAICT' },
      },
      {
        type: 'policy.announced',
        subject: 'caict',
        occurredAt: '2024-06',
        data: {
          name: 'AI Safety Benchmark',
          localName: '人工智能安全基准',
          summary: 'A benchmark for model safety',
        },
      },
    )
    const { events } = await get('/v1/timeline?subject=caict')
    expect(events.map((e: { summary: string; status: null }) => [e.summary, e.status])).toEqual([
      ['CAICT announced AI Safety Benchmark (人工智能安全基准): A benchmark for model safety', null],
    ])
  })
})
