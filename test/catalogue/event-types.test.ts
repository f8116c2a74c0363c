import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

interface EventTypeAnswer {
  readonly type: string
  readonly subject: string
  readonly description: string
  readonly schemaVersion: number
  readonly namesEntity: boolean
  readonly reference: boolean
}

const eventTypes = async (): Promise<EventTypeAnswer[]> => {
  const res = await t.inject({ method: 'GET', url: '/v1/event-types' })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().eventTypes
}

describe('the catalogue of event types', () => {
  it('lists every type of fact the service accepts, in catalogue order', async () => {
    expect((await eventTypes()).map((e) => e.type)).toEqual([
      'entity.registered',
      'product.launched',
      'product.updated',
      'price.changed',
      'alliance.formed',
      'alliance.member_joined',
      'alliance.member_left',
      'partnership.announced',
      'funding.round_closed',
      'stake.acquired',
      'metric.reported',
      'relation.established',
      'relation.ended',
      'policy.announced',
      'event.retracted',
    ])
  })

  it('says what a price change is about, what it means, and its schema version', async () => {
    const priceChanged = (await eventTypes()).find((e) => e.type === 'price.changed')
    expect(priceChanged).toEqual({
      type: 'price.changed',
      subject: 'the product',
      description: expect.stringContaining('A price of a product took a new value'),
      schemaVersion: 1,
      namesEntity: false,
      reference: false,
    })
  })

  it('marks the registrations, and nothing else, as reference data', async () => {
    const reference = (await eventTypes()).filter((e) => e.reference).map((e) => e.type)
    expect(reference).toEqual(['entity.registered'])
  })

  it('marks the registrations, launches and formations as the facts that name an entity', async () => {
    const naming = (await eventTypes()).filter((e) => e.namesEntity).map((e) => e.type)
    expect(naming).toEqual(['entity.registered', 'product.launched', 'alliance.formed'])
  })

  it('answers a reader without a key while reads are public', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/event-types' })
    expect(res.statusCode).toBe(200)
    expect(res.json().eventTypes).toHaveLength(15)
  })
})
