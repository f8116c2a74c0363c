import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entitiesProjection } from '../../projections/entities.js'
import { priceListProjection } from '../../projections/price-list/index.js'
import { timelineProjection } from '../../projections/timeline/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { Projection } from '../../src/projector/projection.js'
import { startTestApp, type TestApp } from '../support/app.js'

/**
 * A price list whose handler breaks on a poisoned subject until it is mended. It is given its
 * batches' events (`apply`), not left to apply them from the log in SQL.
 */
let broken = true
const { applyFromLog: _fromLog, ...givenEvents } = priceListProjection
const fragilePriceList: Projection = {
  ...givenEvents,
  async apply(db, events, context) {
    if (broken && events.some((e) => e.subject === 'poison')) throw new Error('cannot digest poison')
    await priceListProjection.apply(db, events, context)
  },
}

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({
    worker: true,
    projections: [entitiesProjection, fragilePriceList, timelineProjection],
    env: { CONSISTENCY_WAIT_MS: '400' },
  })
})
afterAll(() => t.close())

const price = (subject: string, amount: string): EventInput => ({
  type: 'price.changed',
  subject,
  occurredAt: '2024-05',
  data: { component: 'input', amount, currency: 'CNY', unit: '1K tokens' },
})

async function append(events: EventInput[]): Promise<number> {
  const res = await t.inject({ method: 'POST', url: '/v1/events', payload: { events } })
  return res.json().events.at(-1).position
}

async function statusOf(name: string) {
  const statuses = (await t.inject('/v1/projections')).json() as Array<Record<string, unknown>>
  return statuses.find((s) => s.name === name)
}

async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value) || Date.now() > deadline) return value
    await sleep(50)
  }
}

describe('a projection whose handler throws', () => {
  it('is reported failing with its error, retried, and does not hold up the others', async () => {
    const healthy = await append([price('healthy', '1')])
    expect((await t.inject(`/v1/prices?consistentWith=${healthy}`)).statusCode).toBe(200)

    const poisoned = await append([price('poison', '2')])
    const failing = await eventually(
      () => statusOf('price-list'),
      (s) => s?.status === 'failing',
    )
    expect(failing).toMatchObject({ status: 'failing', lastError: 'cannot digest poison', lag: 1 })
    const timeline = await eventually(
      () => statusOf('timeline'),
      (s) => s?.position === poisoned,
    )
    expect(timeline).toMatchObject({ status: 'running', lag: 0 })

    const stuck = await t.inject(`/v1/prices?consistentWith=${poisoned}`)
    expect(stuck.statusCode).toBe(503)
    expect(stuck.headers['retry-after']).toBe('1')
    expect(stuck.json().type).toMatch(/read-model-behind/)

    broken = false
    const recovered = await eventually(
      () => statusOf('price-list'),
      (s) => s?.status === 'running' && s?.lag === 0,
    )
    expect(recovered).toMatchObject({ status: 'running', position: poisoned })
    const answer = await t.inject(`/v1/prices?product=poison&consistentWith=${poisoned}`)
    expect(answer.json().prices[0].amount).toBe('2')
  })
})

describe('a new fact', () => {
  it('is visible in the read models well within a second at light load', async () => {
    const latencies: number[] = []
    for (let i = 0; i < 20; i++) {
      const started = performance.now()
      const position = await append([price(`fresh-${i}`, String(i))])
      await eventually(
        () => statusOf('price-list'),
        (s) => Number(s?.position) >= position,
        5000,
      )
      latencies.push(performance.now() - started)
    }
    latencies.sort((a, b) => a - b)
    expect(latencies.at(-1)).toBeLessThan(1000)
  })
})
