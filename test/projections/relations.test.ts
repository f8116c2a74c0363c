import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'

/** The relations read model, built by a real worker, and the relations of company profiles. */
let t: TestApp
let head = 0
beforeAll(async () => {
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

async function append(...events: EventInput[]): Promise<readonly RecordedEvent[]> {
  const stored = (await t.store.append(events)).events
  head = stored.at(-1)?.position ?? head
  await sleep(2) // a later append gets a later recordedAt
  return stored
}

const established = (
  from: string,
  to: string,
  kind: string,
  occurredAt: string,
  extra: Record<string, unknown> = {},
): EventInput => ({ type: 'relation.established', subject: from, occurredAt, data: { to, kind, ...extra } })

const ended = (from: string, to: string, kind: string, occurredAt: string): EventInput => ({
  type: 'relation.ended',
  subject: from,
  occurredAt,
  data: { to, kind, reason: 'contract over' },
})

const retraction = (event: RecordedEvent): EventInput => ({
  type: 'event.retracted',
  subject: event.subject,
  occurredAt: '2024',
  data: { eventId: event.id, reason: 'wrong' },
})

interface Row {
  from: string
  to: string
  kind: string
  since: string
  eventId: string
}

async function relations(query: string): Promise<Row[]> {
  const res = await t.inject(`/v1/relations?${query}&consistentWith=${head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json().relations
}

const pairs = (rows: Row[]) => rows.map((r) => [r.from, r.kind, r.to, r.since])

describe('relations in effect as of a date', () => {
  it('holds from its establishment on, not before', async () => {
    const [fact] = await append(
      registration('rel-a-app', 'A App', { data: { kind: 'product', name: 'A App' } }),
      registration('rel-a-model', 'A Model'),
      established('rel-a-app', 'rel-a-model', 'built-on', '2024-03-10', { summary: 'runs on it' }),
    ).then((events) => events.slice(2))
    expect(await relations('subject=rel-a-app&asOf=2024-03-09')).toEqual([])
    expect(await relations('subject=rel-a-app&asOf=2024-03-10')).toEqual([
      {
        from: 'rel-a-app',
        fromName: 'A App',
        to: 'rel-a-model',
        toName: 'A Model',
        kind: 'built-on',
        since: '2024-03-10T00:00:00.000Z',
        precision: 'day',
        summary: 'runs on it',
        eventId: fact?.id,
      },
    ])
  })

  it('is gone once ended, at the end and after it, and still there before it', async () => {
    await append(
      established('rel-b', 'rel-b-to', 'supplies', '2024-01'),
      ended('rel-b', 'rel-b-to', 'supplies', '2024-06-01'),
    )
    expect(pairs(await relations('subject=rel-b&asOf=2024-05-31'))).toEqual([
      ['rel-b', 'supplies', 'rel-b-to', '2024-01-01T00:00:00.000Z'],
    ])
    expect(await relations('subject=rel-b&asOf=2024-06-01')).toEqual([])
    expect(await relations('subject=rel-b&asOf=2025')).toEqual([])
  })

  it('established again after its end starts a new since; established twice keeps the first', async () => {
    await append(
      established('rel-c', 'rel-c-to', 'integrates', '2023-01'),
      established('rel-c', 'rel-c-to', 'integrates', '2023-05'),
      ended('rel-c', 'rel-c-to', 'integrates', '2023-09'),
      established('rel-c', 'rel-c-to', 'integrates', '2024-02'),
    )
    expect(pairs(await relations('subject=rel-c&asOf=2023-08'))).toEqual([
      ['rel-c', 'integrates', 'rel-c-to', '2023-01-01T00:00:00.000Z'],
    ])
    expect(await relations('subject=rel-c&asOf=2023-12')).toEqual([])
    expect(pairs(await relations('subject=rel-c&asOf=2024-12'))).toEqual([
      ['rel-c', 'integrates', 'rel-c-to', '2024-02-01T00:00:00.000Z'],
    ])
  })

  it('a back-dated end recorded later ends the relation from its own date on', async () => {
    await append(established('rel-d', 'rel-d-to', 'part-of', '2022'))
    await append(ended('rel-d', 'rel-d-to', 'part-of', '2023-03'))
    expect(pairs(await relations('subject=rel-d&asOf=2023-02'))).toHaveLength(1)
    expect(await relations('subject=rel-d&asOf=2023-03')).toEqual([])
  })

  it('an end before any establishment ends nothing', async () => {
    await append(
      ended('rel-e', 'rel-e-to', 'supplies', '2022'),
      established('rel-e', 'rel-e-to', 'supplies', '2023'),
    )
    expect(pairs(await relations('subject=rel-e&asOf=2024'))).toEqual([
      ['rel-e', 'supplies', 'rel-e-to', '2023-01-01T00:00:00.000Z'],
    ])
  })

  it('shows what was known at knownAt: not before it was recorded, and not once retracted', async () => {
    const [fact] = await append(established('rel-f', 'rel-f-to', 'invests-in', '2023'))
    if (!fact) throw new Error('nothing stored')
    const [undo] = await append(retraction(fact))
    if (!undo) throw new Error('nothing stored')
    const before = new Date(Date.parse(fact.recordedAt) - 1).toISOString()
    const known = (at: string) => relations(`subject=rel-f&asOf=2024&knownAt=${encodeURIComponent(at)}`)
    expect(await known(before)).toEqual([])
    expect(pairs(await known(fact.recordedAt))).toHaveLength(1)
    expect(await known(undo.recordedAt)).toEqual([])
    expect(await relations('subject=rel-f&asOf=2024')).toEqual([])
  })

  it('a retracted end brings the relation back', async () => {
    const [, end] = await append(
      established('rel-g', 'rel-g-to', 'supplies', '2023'),
      ended('rel-g', 'rel-g-to', 'supplies', '2023-06'),
    )
    if (!end) throw new Error('nothing stored')
    expect(await relations('subject=rel-g&asOf=2024')).toEqual([])
    await append(retraction(end))
    expect(pairs(await relations('subject=rel-g&asOf=2024'))).toEqual([
      ['rel-g', 'supplies', 'rel-g-to', '2023-01-01T00:00:00.000Z'],
    ])
  })

  it('leaves planned and announced relations out, and they do not move an in-effect since', async () => {
    await append(
      established('rel-h', 'rel-h-planned', 'integrates', '2024-01', { status: 'planned' }),
      established('rel-h', 'rel-h-announced', 'integrates', '2024-01', { status: 'announced' }),
      ended('rel-h', 'rel-h-to', 'partner-of', '2023-06'),
      established('rel-h', 'rel-h-to', 'partner-of', '2023-09', { status: 'planned' }),
      established('rel-h', 'rel-h-to', 'partner-of', '2023-12'),
      established('rel-h', 'rel-h-to', 'partner-of', '2023-10', { status: 'planned' }),
    )
    expect(pairs(await relations('subject=rel-h&asOf=2025'))).toEqual([
      ['rel-h', 'partner-of', 'rel-h-to', '2023-12-01T00:00:00.000Z'],
    ])
  })

  it('matches the subject at either end: both directions', async () => {
    await append(
      established('rel-i-app', 'rel-i', 'built-on', '2024-01'),
      established('rel-i', 'rel-i-cloud', 'built-on', '2024-02'),
      established('rel-i-other', 'rel-i-cloud', 'built-on', '2024-03'),
    )
    expect(pairs(await relations('subject=rel-i&asOf=2025'))).toEqual([
      ['rel-i-app', 'built-on', 'rel-i', '2024-01-01T00:00:00.000Z'],
      ['rel-i', 'built-on', 'rel-i-cloud', '2024-02-01T00:00:00.000Z'],
    ])
  })

  it('filters by kind, one or a comma list', async () => {
    await append(
      established('rel-j', 'rel-j-1', 'built-on', '2024-01'),
      established('rel-j', 'rel-j-2', 'integrates', '2024-02'),
      established('rel-j', 'rel-j-3', 'supplies', '2024-03'),
    )
    expect((await relations('subject=rel-j&kind=integrates')).map((r) => r.to)).toEqual(['rel-j-2'])
    expect((await relations('subject=rel-j&kind=supplies,built-on')).map((r) => r.to)).toEqual([
      'rel-j-1',
      'rel-j-3',
    ])
  })

  it('pages with limit and next, in valid-time order of since', async () => {
    await append(
      established('rel-k', 'rel-k-3', 'supplies', '2024-03'),
      established('rel-k', 'rel-k-1', 'supplies', '2024-01'),
      established('rel-k', 'rel-k-2', 'supplies', '2024-02'),
    )
    const seen: string[] = []
    let next: string | null = null
    for (let page = 0; page < 5; page++) {
      const res = await t.inject(
        `/v1/relations?subject=rel-k&limit=2${next ? `&next=${next}` : ''}&consistentWith=${head}`,
      )
      expect(res.statusCode, res.body).toBe(200)
      seen.push(...res.json().relations.map((r: Row) => r.to))
      next = res.json().next
      if (!next) break
    }
    expect(seen).toEqual(['rel-k-1', 'rel-k-2', 'rel-k-3'])
  })
})

describe('company profiles', () => {
  it('carry the relations in effect with the company at either end', async () => {
    await append(
      registration('rel-m-co', 'M Co'),
      established('rel-m-co', 'rel-m-cloud', 'built-on', '2024-01'),
      established('rel-m-fund', 'rel-m-co', 'invests-in', '2024-02'),
      established('rel-m-co', 'rel-m-gone', 'supplies', '2023'),
      ended('rel-m-co', 'rel-m-gone', 'supplies', '2023-06'),
      established('rel-m-co', 'rel-m-plan', 'integrates', '2024-01', { status: 'planned' }),
    )
    const res = await t.inject(`/v1/companies/rel-m-co?asOf=2024-06&consistentWith=${head}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(pairs(body.relations)).toEqual([
      ['rel-m-co', 'built-on', 'rel-m-cloud', '2024-01-01T00:00:00.000Z'],
      ['rel-m-fund', 'invests-in', 'rel-m-co', '2024-02-01T00:00:00.000Z'],
    ])
    expect(body.relations).toEqual(await relations('subject=rel-m-co&asOf=2024-06'))
    expect(body).toMatchObject({
      name: 'M Co',
      products: [],
      partnerships: [],
      stakes: { held: [], received: [] },
    })
  })

  it('exist for a company known only through a relation', async () => {
    await append(established('rel-n-fund', 'rel-n-co', 'invests-in', '2024-01'))
    const res = await t.inject(`/v1/companies/rel-n-co?consistentWith=${head}`)
    expect(res.statusCode, res.body).toBe(200)
    expect(pairs(res.json().relations)).toEqual([
      ['rel-n-fund', 'invests-in', 'rel-n-co', '2024-01-01T00:00:00.000Z'],
    ])
  })
})

describe('bad parameters', () => {
  const refused = async (query: string, field: string) => {
    const res = await t.inject(`/v1/relations?${query}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(field)
  }

  it('an unknown kind, a bad subject, a bad date, a bad limit or a forged cursor is a 400 naming the field', async () => {
    await refused('kind=owns', '/kind')
    await refused('kind=built-on,', '/kind')
    await refused('subject=Not_A_Slug', '/subject')
    await refused('asOf=2024-13', '/asOf')
    await refused('knownAt=yesterday', '/knownAt')
    await refused('limit=0', '/limit')
    await refused(`next=${Buffer.from('2024|x').toString('base64url')}`, '/next')
  })
})
