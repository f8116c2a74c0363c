import { expect } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import type { DeliveryRecord } from '../../src/webhooks/schemas/delivery.js'
import type { TestApp } from './app.js'

export type DeliveryLog = DeliveryRecord[]

export async function subscribe(t: TestApp, body: object): Promise<{ id: string; secret: string }> {
  const res = await t.inject({ method: 'POST', url: '/v1/webhooks', payload: body })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

export async function appendEvents(t: TestApp, ...events: EventInput[]): Promise<RecordedEvent[]> {
  const res = await t.inject({ method: 'POST', url: '/v1/events', payload: { events } })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().events
}

export async function deliveriesOf(t: TestApp, subscriptionId: string): Promise<DeliveryLog> {
  const res = await t.inject(`/v1/webhooks/${subscriptionId}/deliveries?limit=1000`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json().deliveries
}

/** Polls the delivery log (oldest first) until `predicate` holds; fails after `timeoutMs`. */
export async function waitForDeliveries(
  t: TestApp,
  subscriptionId: string,
  predicate: (log: DeliveryLog) => boolean,
  timeoutMs = 10_000,
): Promise<DeliveryLog> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const log = (await deliveriesOf(t, subscriptionId)).reverse()
    if (predicate(log)) return log
    if (Date.now() > deadline)
      throw new Error(`delivery log did not reach the expected state: ${JSON.stringify(log)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
