import { randomUUID } from 'node:crypto'
import type { EventInput } from '../../src/catalogue/envelope.js'

/** Small, valid events for tests. */

export function priceChange(
  subject: string,
  amount: string,
  overrides: Partial<EventInput> = {},
): EventInput {
  return {
    type: 'price.changed',
    subject,
    occurredAt: '2024-05',
    data: { component: 'input', amount, currency: 'CNY', unit: '1K tokens' },
    ...overrides,
  }
}

export function registration(
  subject: string,
  name = subject,
  overrides: Partial<EventInput> = {},
): EventInput {
  return {
    id: randomUUID(),
    type: 'entity.registered',
    subject,
    occurredAt: '2024',
    data: { kind: 'company', name },
    ...overrides,
  }
}
