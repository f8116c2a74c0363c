import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { startTestApp, type TestApp } from '../support/app.js'

/** Back-dated facts and retractions: asOf (valid time) and knownAt (transaction time) together. */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

const price = (subject: string, occurredAt: string, amount: string, previousAmount?: string): EventInput => ({
  type: 'price.changed',
  subject,
  occurredAt,
  data: {
    component: 'input',
    amount,
    currency: 'CNY',
    unit: '1K tokens',
    ...(previousAmount ? { previousAmount } : {}),
  },
})

async function append(...events: EventInput[]) {
  const res = await t.inject({ method: 'POST', url: '/v1/events', payload: { events } })
  expect(res.statusCode, res.body).toBe(201)
  const stored = res.json().events as Array<{ id: string; position: number; recordedAt: string }>
  // recordedAt has millisecond precision: let the clock move on so later appends are strictly later.
  await sleep(5)
  return stored
}

async function amount(product: string, asOf: string, knownAt?: string, consistentWith?: number) {
  const params = new URLSearchParams({ product, asOf, ...(knownAt ? { knownAt } : {}) })
  if (consistentWith) params.set('consistentWith', String(consistentWith))
  const res = await t.inject(`/v1/prices?${params}`)
  expect(res.statusCode, res.body).toBe(200)
  return (res.json().prices[0]?.amount as string | undefined) ?? null
}

describe('a back-dated price change', () => {
  it('alters every as-of answer after its effective date and none before it', async () => {
    await append(price('model-a', '2024-01', '10'), price('model-a', '2024-06', '30'))
    const [late] = await append(price('model-a', '2024-03', '20'))
    const p = late?.position
    expect(await amount('model-a', '2024-02', undefined, p)).toBe('10')
    expect(await amount('model-a', '2024-03', undefined, p)).toBe('20')
    expect(await amount('model-a', '2024-05', undefined, p)).toBe('20')
    expect(await amount('model-a', '2024-06', undefined, p)).toBe('30')
  })

  it('still shows the old answer as known before it was recorded', async () => {
    const first = await append(price('model-b', '2024-01', '10'))
    const [late] = await append(price('model-b', '2024-03', '20'))
    const knownBefore = first[0]?.recordedAt as string
    expect(await amount('model-b', '2024-04', knownBefore, late?.position)).toBe('10')
    expect(await amount('model-b', '2024-04', late?.recordedAt, late?.position)).toBe('20')
  })
})

describe('a retraction', () => {
  it('removes the fact from answers known after it, and keeps it in answers known before', async () => {
    const [wrong] = await append(price('model-c', '2024-01', '10'), price('model-c', '2024-02', '99')).then(
      (events) => [events[1]],
    )
    const [retraction] = await append({
      type: 'event.retracted',
      subject: 'model-c',
      occurredAt: '2024-02',
      data: { eventId: wrong?.id, reason: 'typo in the amount' },
    })
    const p = retraction?.position
    expect(await amount('model-c', '2024-03', undefined, p)).toBe('10')
    expect(await amount('model-c', '2024-03', wrong?.recordedAt, p)).toBe('99')

    const timeline = await t.inject(`/v1/timeline?subject=model-c&consistentWith=${p}`)
    expect(timeline.json().events.map((e: { type: string }) => e.type)).toEqual([
      'price.changed',
      'event.retracted',
    ])
  })
})

describe('previousAmount', () => {
  it('answers for dates before the change, and yields to an earlier change that is learned later', async () => {
    const [cut] = await append(price('model-d', '2024-05-21', '0.0005', '0.02'))
    const inEffect = async (asOf: string, position?: number) =>
      (await t.inject(`/v1/prices?product=model-d&asOf=${asOf}&consistentWith=${position}`)).json().prices[0]
    expect(await inEffect('2024-05-10', cut?.position)).toMatchObject({ amount: '0.02', effectiveFrom: null })
    expect(await inEffect('2024-05-21', cut?.position)).toMatchObject({ amount: '0.0005' })
    expect(await inEffect('2020', cut?.position)).toMatchObject({ amount: '0.02', effectiveFrom: null })

    const [older] = await append(price('model-d', '2024-01', '0.02'))
    expect(await inEffect('2024-02', older?.position)).toMatchObject({
      amount: '0.02',
      effectiveFrom: '2024-01-01T00:00:00.000Z',
    })
    expect(await inEffect('2023-12', older?.position)).toBeUndefined()
  })
})

describe('read-your-writes', () => {
  it('makes a query with consistentWith see the append it names', async () => {
    const [event] = await append(price('model-e', '2024', '7'))
    expect(await amount('model-e', '2024-12', undefined, event?.position)).toBe('7')
  })
})

describe('answers kept between requests', () => {
  it('are dropped as soon as a back-dated fact reaches the read model', async () => {
    const [first] = await append(price('model-f', '2024-01', '10'))
    expect(await amount('model-f', '2024-06', undefined, first?.position)).toBe('10')
    expect(await amount('model-f', '2024-06')).toBe('10')
    expect(await amount('model-f', '2024-06')).toBe('10')

    const [late] = await append(price('model-f', '2024-03', '20'))
    expect(await amount('model-f', '2024-06', undefined, late?.position)).toBe('20')
    let cached = await amount('model-f', '2024-06')
    for (let i = 0; i < 40 && cached !== '20'; i++) {
      await sleep(50)
      cached = await amount('model-f', '2024-06')
    }
    expect(cached).toBe('20')
  })
})
