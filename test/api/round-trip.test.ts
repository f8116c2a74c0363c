import { randomUUID } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { startTestApp, type TestApp } from '../support/app.js'

/**
 * Free text goes into the log, the read models, reports, key names and webhook descriptions as
 * bound parameters, and comes back byte for byte: quotes, backslashes, dollar quoting, SQL,
 * LIKE wildcards, line breaks, tabs, bidirectional marks, combining characters, emoji (astral,
 * ZWJ sequences, flags) and CJK.
 */
const pieces = [
  `O'Brien "quoted" ''`,
  'back\\slash \\\\ \\n \\x00 \\u0000',
  '$$ $1 $tag$ body $tag$',
  "'; drop table events; --",
  '100% a_b %_ \\%',
  'line\nbreak\r\ncrlf\rcr',
  'tab\there',
  '\u200fRTL mark \u202eoverride\u202c \u2066isolate\u2069',
  'Cafe\u0301 n\u0303 \u0915\u094d\u0937',
  '😀 👩‍💻 👨‍👩‍👧‍👦 🇨🇳 🏳️‍🌈',
  '百川智能 零一万物 月之暗面',
]

/** Hostile text for one field: named after it, cut (by code point) to what the field takes. */
function text(field: string, maxLength: number): string {
  return Array.from(`${field} ${pieces.join(' · ')}`)
    .slice(0, maxLength)
    .join('')
}

/** Every field's text is cut short somewhere else: the short fields get a sample of every kind. */
const short = (field: string) =>
  Array.from(`${field} '"\\$$%_\n\t\u200f e\u0301😀👩‍💻百川'; --`).slice(0, 50).join('')

const source = (of: string) => ({
  publisher: text(`${of} publisher`, 200),
  title: text(`${of} title`, 500),
  author: text(`${of} author`, 200),
  quote: text(`${of} quote`, 4000),
  note: text(`${of} note`, 2000),
  url: `https://example.com/${of}?q=%27%3B%20drop&x=$$#frag`,
})

const market: EventInput[] = [
  {
    type: 'entity.registered',
    subject: 'rt-co',
    occurredAt: '2024',
    data: {
      kind: 'company',
      name: text('company', 200),
      localName: text('公司', 200),
      category: short('category'),
    },
  },
  {
    type: 'entity.registered',
    subject: 'rt-fund',
    occurredAt: '2024',
    data: { kind: 'investor', name: text('investor', 200) },
  },
  {
    type: 'product.launched',
    subject: 'rt-model',
    occurredAt: '2024-01',
    data: {
      company: 'rt-co',
      name: text('product', 200),
      localName: text('产品', 200),
      category: 'llm',
      summary: text('launch summary', 2000),
    },
  },
  {
    type: 'product.updated',
    subject: 'rt-model',
    occurredAt: '2024-02',
    data: {
      summary: text('update summary', 2000),
      features: [text('feature one', 200), text('feature two', 200)],
    },
  },
  {
    type: 'price.changed',
    subject: 'rt-model',
    occurredAt: '2024-03',
    data: { component: 'input', amount: '0.5', currency: 'CNY', unit: short('unit') },
  },
  {
    type: 'alliance.formed',
    subject: 'rt-alliance',
    occurredAt: '2024-04',
    data: {
      name: text('alliance', 200),
      localName: text('联盟', 200),
      conveners: ['rt-co'],
      members: ['rt-co', 'rt-fund'],
      summary: text('alliance summary', 2000),
    },
  },
  {
    type: 'partnership.announced',
    subject: 'rt-co',
    occurredAt: '2024-05',
    data: {
      parties: ['rt-co', 'rt-fund'],
      name: text('partnership', 200),
      localName: text('合作', 200),
      summary: text('partnership summary', 2000),
    },
  },
  {
    type: 'funding.round_closed',
    subject: 'rt-co',
    occurredAt: '2024-06',
    data: { round: text('round', 100), investors: ['rt-fund'], amount: { value: '100', currency: 'USD' } },
  },
  {
    type: 'stake.acquired',
    subject: 'rt-fund',
    occurredAt: '2024-06',
    data: { company: 'rt-co', summary: text('stake summary', 2000) },
  },
  {
    type: 'metric.reported',
    subject: 'rt-co',
    occurredAt: '2024-06',
    data: {
      metric: 'daily-tokens',
      value: '1',
      unit: short('metric unit'),
      // Line breaks with no quote or comma beside them: a CSV cell must still be quoted.
      forPeriod: 'period\nline\r\nbreak\rcr\ttab 😀',
    },
  },
].map((event) => ({ ...event, id: randomUUID(), source: source(event.type) }))

let t: TestApp
let appended: RecordedEvent[]
let head: number

beforeAll(async () => {
  // Room for the projector on a busy machine: consistentWith waits up to a minute.
  t = await startTestApp({
    worker: true,
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', CONSISTENCY_WAIT_MS: '60000' },
  })
  const res = await t.inject({ method: 'POST', url: '/v1/events', payload: { events: market } })
  expect(res.statusCode, res.body).toBe(201)
  appended = res.json().events
  head = Math.max(...appended.map((e) => e.position))
}, 60_000)
afterAll(() => t?.close())

/** Every string in `value` with its JSON pointer. */
function strings(value: unknown, at = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]]
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, item]) => strings(item, `${at}/${key}`))
}

/** `actual` holds every string `expected` holds, at the same place, in the same UTF-8 bytes. */
function expectSameText(actual: unknown, expected: unknown, what: string): void {
  const got = new Map(strings(actual))
  for (const [at, want] of strings(expected)) {
    expect(got.has(at), `${what}${at} is missing`).toBe(true)
    expect(Buffer.from(got.get(at) ?? '', 'utf8').equals(Buffer.from(want, 'utf8')), `${what}${at}`).toBe(
      true,
    )
  }
  expect(actual).toEqual(expected)
}

const sent = (type: string, subject?: string): EventInput => {
  const event = market.find((e) => e.type === type && (subject === undefined || e.subject === subject))
  if (!event) throw new Error(`no ${type} in the market`)
  return event
}
const dataOf = (type: string, subject?: string) => sent(type, subject).data as Record<string, string>
const textOf = (type: string, field: string, subject?: string): string => {
  const value = dataOf(type, subject)[field]
  if (typeof value !== 'string') throw new Error(`${type} has no text ${field}`)
  return value
}

const read = async (url: string) => {
  const res = await t.inject(url)
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200)
  return res
}

describe('free text, read back byte for byte', () => {
  it('from the append answer and GET /v1/events/{id}', async () => {
    for (const event of market) {
      const answered = appended.find((e) => e.id === event.id)
      expectSameText(
        { data: answered?.data, source: answered?.source },
        { data: event.data, source: event.source },
        'answer',
      )
      const stored = (await read(`/v1/events/${event.id}`)).json()
      expectSameText(
        { data: stored.data, source: stored.source },
        { data: event.data, source: event.source },
        event.type,
      )
    }
  })

  it('from the log as NDJSON, every line JSON with the text as sent', async () => {
    const res = await t.inject({ url: '/v1/events', headers: { accept: 'application/x-ndjson' } })
    expect(res.statusCode).toBe(200)
    const lines = res.body.trimEnd().split('\n')
    // Line breaks in the text are escaped inside each JSON line, never a line of their own.
    expect(lines).toHaveLength(market.length)
    const byId = new Map(lines.map((line) => JSON.parse(line) as RecordedEvent).map((e) => [e.id, e]))
    for (const event of market) {
      const line = byId.get(event.id ?? '')
      expectSameText(
        { data: line?.data, source: line?.source },
        { data: event.data, source: event.source },
        'ndjson',
      )
    }
  })

  it('from the entities, the company profile, prices, alliances and funding read models', async () => {
    const at = `consistentWith=${head}`
    const entities = (await read(`/v1/entities?${at}`)).json().entities
    expectSameText(
      entities.map((e: { slug: string; name: string; localName: string | null }) => [
        e.slug,
        e.name,
        e.localName,
      ]),
      [
        ['rt-alliance', dataOf('alliance.formed').name, dataOf('alliance.formed').localName],
        ['rt-co', dataOf('entity.registered', 'rt-co').name, dataOf('entity.registered', 'rt-co').localName],
        ['rt-fund', dataOf('entity.registered', 'rt-fund').name, null],
        ['rt-model', dataOf('product.launched').name, dataOf('product.launched').localName],
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1]), 'en')),
      'entities',
    )

    const profile = (await read(`/v1/companies/rt-co?${at}`)).json()
    const partnership = dataOf('partnership.announced')
    expectSameText(
      {
        name: profile.name,
        localName: profile.localName,
        product: [profile.products[0].name, profile.products[0].localName],
        partnership: [profile.partnerships[0].name, profile.partnerships[0].summary],
        round: profile.fundingRounds[0].round,
        stakeholder: profile.stakes.received[0].name,
      },
      {
        name: dataOf('entity.registered', 'rt-co').name,
        localName: dataOf('entity.registered', 'rt-co').localName,
        product: [dataOf('product.launched').name, dataOf('product.launched').localName],
        partnership: [partnership.name, partnership.summary],
        round: dataOf('funding.round_closed').round,
        stakeholder: dataOf('entity.registered', 'rt-fund').name,
      },
      'company profile',
    )

    const [price] = (await read(`/v1/prices?product=rt-model&${at}`)).json().prices
    expectSameText(
      [price.productName, price.unit],
      [dataOf('product.launched').name, dataOf('price.changed').unit],
      'prices',
    )
    const [change] = (await read(`/v1/products/rt-model/prices?${at}`)).json().changes
    expectSameText(change.unit, dataOf('price.changed').unit, 'price history')

    const alliance = (await read(`/v1/alliances/rt-alliance?${at}`)).json()
    expectSameText(
      [alliance.name, alliance.members.map((m: { name: string }) => m.name).sort()],
      [
        dataOf('alliance.formed').name,
        [dataOf('entity.registered', 'rt-co').name, dataOf('entity.registered', 'rt-fund').name].sort(),
      ],
      'alliance',
    )

    const [round] = (await read(`/v1/funding?company=rt-co&${at}`)).json().rounds
    expectSameText(
      [round.round, round.companyName, round.investors[0].name],
      [
        dataOf('funding.round_closed').round,
        dataOf('entity.registered', 'rt-co').name,
        dataOf('entity.registered', 'rt-fund').name,
      ],
      'funding',
    )
  }, 90_000)

  it('from the timeline: data and source as sent, and the names in each summary', async () => {
    const { events } = (await read(`/v1/timeline?kind=all&consistentWith=${head}&limit=1000`)).json()
    expect(events).toHaveLength(market.length)
    for (const event of market) {
      const entry = events.find((e: { eventId: string }) => e.eventId === event.id)
      expectSameText(
        { data: entry.data, source: entry.source },
        { data: event.data, source: event.source },
        'timeline',
      )
    }
    const launch = events.find((e: { type: string }) => e.type === 'product.launched')
    expect(launch.summary).toContain(dataOf('product.launched').name)
  }, 90_000)

  it('from a report, as JSON and as CSV cells', async () => {
    const json = (await read('/v1/reports/market-snapshot')).json()
    const csvText = (await read('/v1/reports/market-snapshot?format=csv')).body
    const rows: Record<string, string>[] = parse(csvText, { columns: true, bom: true })
    const cells = new Set(rows.flatMap((row) => Object.values(row)))
    const jsonTexts = new Set(strings(json).map(([, value]) => value))
    for (const expected of [
      textOf('product.launched', 'name'),
      textOf('price.changed', 'unit'),
      textOf('alliance.formed', 'name'),
      textOf('entity.registered', 'name', 'rt-co'),
      textOf('entity.registered', 'name', 'rt-fund'),
      textOf('metric.reported', 'unit'),
      textOf('metric.reported', 'forPeriod'),
    ]) {
      expect(jsonTexts.has(expected), `JSON report holds ${JSON.stringify(expected)}`).toBe(true)
      expect(cells.has(expected), `CSV report holds ${JSON.stringify(expected)}`).toBe(true)
    }
  })

  it('API key names and webhook descriptions, as text columns', async () => {
    const name = text('key', 200)
    const key = await t.inject({ method: 'POST', url: '/v1/keys', payload: { name, scopes: ['read'] } })
    expect(key.statusCode, key.body).toBe(201)
    expectSameText(key.json().name, name, 'key')
    const listed = (await read('/v1/keys')).json().find((k: { id: string }) => k.id === key.json().id)
    expectSameText(listed.name, name, 'listed key')

    const description = text('webhook', 500)
    const hook = await t.inject({
      method: 'POST',
      url: '/v1/webhooks',
      // Subscribed to a subject with no events, so nothing is delivered anywhere.
      payload: { url: 'http://127.0.0.1:9/hooks', subjects: ['rt-nothing'], description },
    })
    expect(hook.statusCode, hook.body).toBe(201)
    expectSameText((await read(`/v1/webhooks/${hook.json().id}`)).json().description, description, 'webhook')
    const changed = text('changed', 500)
    const patch = await t.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${hook.json().id}`,
      payload: { description: changed },
    })
    expect(patch.statusCode, patch.body).toBe(200)
    expectSameText(
      (await read(`/v1/webhooks/${hook.json().id}`)).json().description,
      changed,
      'changed webhook',
    )
  })
})
