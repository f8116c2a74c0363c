import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import type { WebhookConfig } from '../config.js'
import { decide } from './decide.js'
import { postWebhook } from './sender.js'
import type { Delivery, Settlement } from './settlements.js'
import { signatureHeader } from './signing.js'

/** Signs and sends one delivery, and settles it as `decide` says. */
export async function attemptDelivery(
  jobId: string,
  delivery: Delivery,
  config: WebhookConfig,
): Promise<Settlement> {
  const { event } = delivery
  const body = JSON.stringify({ type: event.type, timestamp: event.recordedAt, data: event })
  const timestamp = new Date()
  const headers = {
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatureHeader(delivery.secrets, delivery.id, timestamp, body),
  }
  const result = await postWebhook(delivery.url, headers, body, config)
  const next = decide(result, delivery.nextAttempt, config, DateTime.now())
  const attempted = { kind: 'attempted', jobId, delivery, result } as const
  switch (next.kind) {
    case 'delivered':
      return { ...attempted, status: 'delivered', retry: undefined, gone: false }
    case 'gone':
      return { ...attempted, status: 'failed', retry: undefined, gone: true }
    case 'give up':
      return { ...attempted, status: 'failed', retry: undefined, gone: false }
    case 'retry':
      return { ...attempted, status: 'pending', retry: { jobId: randomUUID(), at: next.at }, gone: false }
  }
}
