import { sql } from 'kysely'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { Catalogue } from '../../src/catalogue/catalogue.js'
import { defineEventType, type NameLookup, type RecordedEvent } from '../../src/catalogue/event-type.js'
import { Currency, NonNegativeDecimal } from '../../src/catalogue/fields.js'
import { startTestApp } from '../support/app.js'

const names: NameLookup = {
  name: (slug) =>
    ({
      'alibaba-cloud': 'Alibaba Cloud',
      'qwen-long': 'Qwen-Long',
      baidu: 'Baidu',
      'ernie-speed': 'ERNIE Speed',
      tencent: 'Tencent',
      'hunyuan-lite': 'hunyuan-lite',
      baichuan: 'Baichuan',
      '01-ai': '01.AI',
      'volcano-engine': 'Volcano Engine',
      'china-ev100': 'China EV100',
      geely: 'Geely',
      seres: 'Seres',
    })[slug] ?? slug,
  owner: (slug) =>
    ({ 'qwen-long': 'alibaba-cloud', 'ernie-speed': 'baidu', 'hunyuan-lite': 'tencent' })[slug],
}

function event(type: string, subject: string, data: Record<string, unknown>): RecordedEvent {
  return {
    id: '0b6f4c1e-3d0a-4c55-9d57-1f0c1c7c2a10',
    type,
    subject,
    occurredAt: '2024-05',
    precision: 'month',
    effectiveFrom: '2024-05-01T00:00:00.000Z',
    recordedAt: '2026-11-29T06:10:04.123Z',
    position: 1,
    version: 1,
    data,
  }
}

describe('one-line summaries', () => {
  it.each([
    [
      event('price.changed', 'qwen-long', {
        component: 'input',
        amount: '0.0005',
        currency: 'CNY',
        unit: '1K tokens',
        previousAmount: '0.02',
      }),
      'Alibaba Cloud cut Qwen-Long input price 0.02 → 0.0005 CNY/1K tokens (-97.5%)',
    ],
    [
      event('price.changed', 'hunyuan-lite', {
        component: 'total',
        amount: '0',
        currency: 'CNY',
        unit: '1K tokens',
        previousAmount: '0.008',
      }),
      'Tencent made hunyuan-lite free: total price 0.008 → 0 CNY/1K tokens (-100%)',
    ],
    [
      event('price.changed', 'ernie-speed', {
        component: 'total',
        amount: '0',
        currency: 'CNY',
        unit: '1K tokens',
      }),
      'Baidu set ERNIE Speed total price to 0 CNY/1K tokens (free)',
    ],
    [
      event('funding.round_closed', 'baichuan', {
        round: 'A1',
        amount: { value: '300000000', currency: 'USD' },
        investors: [],
      }),
      'Baichuan closed its A1 round of 300,000,000 USD',
    ],
    [
      event('funding.round_closed', '01-ai', {
        round: 'undisclosed',
        valuation: { value: '1000000000', currency: 'USD', qualifier: 'over' },
        investors: [],
      }),
      '01.AI closed a funding round, valued at over 1,000,000,000 USD',
    ],
    [
      event('alliance.formed', 'auto-alliance', {
        name: 'Automotive LLM Ecosystem Alliance',
        localName: '汽车大模型生态联盟',
        conveners: ['volcano-engine', 'china-ev100'],
        members: ['geely', 'seres'],
      }),
      'Volcano Engine and China EV100 formed Automotive LLM Ecosystem Alliance (汽车大模型生态联盟) with 2 members: Geely and Seres',
    ],
    [
      event('product.updated', 'hunyuan-lite', {
        summary: 'window raised',
        contextWindowTokens: 256000,
        previousContextWindowTokens: 4000,
      }),
      'hunyuan-lite updated: window raised (context window 4,000 → 256,000 tokens)',
    ],
    [
      event('metric.reported', 'qianfan', {
        metric: 'enterprise-customers',
        value: '105000',
        qualifier: 'exact',
        forPeriod: '2024-05',
      }),
      'qianfan enterprise customers: 105,000 for 2024-05',
    ],
    [
      event('relation.established', 'qwen-long', {
        to: 'alibaba-cloud',
        kind: 'part-of',
        summary: 'in the Qwen family',
      }),
      'Qwen-Long is part of Alibaba Cloud: in the Qwen family',
    ],
    [
      event('relation.ended', 'tencent', { to: 'baichuan', kind: 'invests-in' }),
      'Tencent no longer invests in Baichuan',
    ],
    [
      event('relation.ended', 'qwen-long', { to: 'alibaba-cloud', kind: 'built-on', reason: 'moved' }),
      'Qwen-Long is no longer built on Alibaba Cloud: moved',
    ],
    [
      event('policy.announced', 'china-ev100', {
        name: 'AI+ action',
        localName: '人工智能+',
        summary: 'launched',
      }),
      'China EV100 announced AI+ action (人工智能+): launched',
    ],
    [
      event('product.updated', 'hunyuan-lite', {
        summary: 'window to be raised',
        contextWindowTokens: 256000,
        previousContextWindowTokens: 4000,
        status: 'planned',
      }),
      'Planned: hunyuan-lite updated: window to be raised (context window 4,000 → 256,000 tokens)',
    ],
    [
      event('price.changed', 'ernie-speed', {
        component: 'total',
        amount: '0',
        currency: 'CNY',
        unit: '1K tokens',
        status: 'announced',
      }),
      'Announced: Baidu set ERNIE Speed total price to 0 CNY/1K tokens (free)',
    ],
  ])('%#: %s', (recorded, expected) => {
    expect(catalogue.summary(recorded, names)).toBe(expected)
  })

  it('every catalogue type has a summary that names its subject or data', () => {
    for (const eventType of catalogue.types) expect(typeof eventType.summary).toBe('function')
    expect(catalogue.types.map((t) => t.type)).toHaveLength(15)
  })
})

describe('schema versions', () => {
  // A later version of a fact type: v1 kept one flat `price` string, v2 splits amount and currency.
  const quoteV2 = defineEventType({
    type: 'quote.published',
    subject: 'the product',
    description: 'A test type that changed shape between schema versions.',
    schemaVersion: 2,
    schema: Type.Object({ amount: NonNegativeDecimal, currency: Currency }, { additionalProperties: false }),
    upcasters: {
      1: (data) => {
        const [amount, currency] = String(data.price).split(' ')
        return { amount, currency }
      },
    },
    summary: ({ data }) => `quoted ${data.amount} ${data.currency}`,
  })

  it('upcasts events stored under an old version when they are read, and never rewrites them', async () => {
    const t = await startTestApp({ catalogue: new Catalogue([...catalogue.types, quoteV2]) })
    try {
      const oldEvent = {
        idx: 0,
        id: crypto.randomUUID(),
        type: 'quote.published',
        schema_version: 1,
        subject: 'qwen-long',
        occurred_at: '2023',
        precision: 'year',
        effective_from: '2023-01-01T00:00:00Z',
        data: { price: '0.02 CNY' },
        source: null,
        expected_version: null,
      }
      await sql`select * from mt_append_events(${JSON.stringify([oldEvent])}::jsonb)`.execute(
        t.database.handle.db,
      )

      const res = await t.inject({ method: 'GET', url: `/v1/events/${oldEvent.id}` })
      expect(res.json().data).toEqual({ amount: '0.02', currency: 'CNY' })

      const raw = await sql<{ data: unknown; schema_version: number }>`
        select data, schema_version from events where id = ${oldEvent.id}
      `.execute(t.database.handle.db)
      expect(raw.rows[0]).toEqual({ data: { price: '0.02 CNY' }, schema_version: 1 })

      const fresh = await t.inject({
        method: 'POST',
        url: '/v1/events',
        payload: {
          events: [
            {
              type: 'quote.published',
              subject: 'qwen-long',
              occurredAt: '2024',
              data: { amount: '0.0005', currency: 'CNY' },
            },
          ],
        },
      })
      expect(fresh.statusCode).toBe(201)
      const stored = await sql<{ schema_version: number }>`
        select schema_version from events where id = ${fresh.json().events[0].id}
      `.execute(t.database.handle.db)
      expect(stored.rows[0]?.schema_version).toBe(2)
    } finally {
      await t.close()
    }
  })
})
