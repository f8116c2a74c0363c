import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'csv-parse/sync'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Change } from '../../src/diff/schemas.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { smallMarket } from '../support/small-market.js'

/**
 * The changes report (GET /v1/diff by replay) on the diff's small market (smallMarket): a price
 * cut between April and June (valid time), and in a later batch a restated figure, a
 * late-recorded price and a retracted relation (knowledge), that retraction retracted in turn.
 * Each answer is held to the diff's for the same parameters.
 */
let t: TestApp
const market = smallMarket('ch', () => t.store, { source: { publisher: 'Test Daily' } })
const { append, ids, retraction } = market
/** Between the two batches: what was known before the corrections. */
let beforeCorrections = ''

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  beforeCorrections = await market.appendWithCorrections('2024-05')
  // Retracting a retraction takes back nothing: the relation stays retracted, by the first one.
  await append([
    retraction('retractionRetracted', { of: 'retraction', subject: 'ch-long', reason: 'filed twice' }),
  ])
}, 60_000)
afterAll(() => t.close())

interface ChangesAnswer {
  report: string
  fromAsOf: string
  toAsOf: string
  fromKnownAt: string
  toKnownAt: string
  scope: Record<string, string>
  changes: Change[]
}

async function changesReport(query: string, format = 'json') {
  const res = await t.inject(`/v1/reports/changes?${query}&format=${format}`)
  expect(res.statusCode, res.body).toBe(200)
  return res
}

async function diff(query: string, format = 'json') {
  const res = await t.inject(`/v1/diff?${query}&consistentWith=${market.head}&format=${format}`)
  expect(res.statusCode, res.body).toBe(200)
  return res
}

/** The report's changes, checked to be exactly the diff's. */
async function agreed(query: string): Promise<Change[]> {
  const [report, read] = await Promise.all([changesReport(query), diff(query)])
  const { changes } = report.json() as ChangesAnswer
  expect(changes).toEqual(read.json().changes)
  return changes
}

/** CSV rows as objects, the before and after cells parsed. */
function csvRows(text: string): Record<string, unknown>[] {
  const rows: Record<string, string>[] = parse(text, { columns: true })
  const json = (cell: string | undefined) => (cell ? JSON.parse(cell) : null)
  return rows.map((r) => ({ ...r, before: json(r.before), after: json(r.after) }))
}

const summary = (changes: readonly Change[]) =>
  changes.map((c) => [c.model, Object.values(c.key).join(' '), c.change, c.cause])

describe('GET /v1/reports/changes', () => {
  it('tells a price cut between two dates as a valid-time change, as the diff does', async () => {
    const changes = await agreed('fromAsOf=2024-04-30&toAsOf=2024-06-30')
    const price = changes.find((c) => c.model === 'price' && c.key.component === 'input')
    expect(price).toMatchObject({
      key: { product: 'ch-long', component: 'input' },
      change: 'changed',
      before: { amount: '0.02', effectiveFrom: '2024-03-01T00:00:00.000Z' },
      after: { amount: '0.0005', effectiveFrom: '2024-05-21T00:00:00.000Z' },
      cause: 'valid-time',
      eventIds: [ids.priceMarch, ids.priceCut],
    })
    expect(summary(changes)).toEqual([
      ['price', 'ch-long input', 'changed', 'valid-time'],
      ['alliance-member', 'ch-alliance ch-bot', 'added', 'valid-time'],
      ['funding-round', `ch-cloud ${ids.round}`, 'added', 'valid-time'],
      ['valuation', 'ch-cloud', 'added', 'valid-time'],
    ])
  })

  it('tells a late price, a restated figure and a retraction as knowledge, the retraction among the events', async () => {
    const query = `fromAsOf=2024-06-30&toAsOf=2024-06-30&fromKnownAt=${encodeURIComponent(beforeCorrections)}`
    const changes = await agreed(query)
    expect(summary(changes)).toEqual([
      ['price', 'ch-long output', 'added', 'knowledge'],
      ['relation', 'ch-long ch-base built-on', 'removed', 'knowledge'],
      ['metric', 'ch-cloud enterprise-customers 2024', 'changed', 'knowledge'],
    ])
    const relation = changes.find((c) => c.model === 'relation')
    expect(relation?.eventIds).toEqual([ids.builtOn, ids.retraction])
  })

  it('looks at one company, product or alliance when asked, as the diff does', async () => {
    const span = `fromAsOf=2023-12-31&toAsOf=2024-06-30&fromKnownAt=${encodeURIComponent(beforeCorrections)}`
    const company = await agreed(`${span}&company=ch-ai`)
    expect(summary(company)).toEqual([['alliance-member', 'ch-alliance ch-ai', 'added', 'valid-time']])
    const product = await agreed(`${span}&product=ch-long`)
    expect(product.map((c) => c.model)).toEqual(['price', 'price', 'product'])
    const alliance = await agreed(`${span}&alliance=ch-alliance`)
    expect(alliance.map((c) => c.model)).toEqual([
      'alliance',
      'alliance-member',
      'alliance-member',
      'alliance-member',
    ])
    const answer = (await changesReport(`${span}&alliance=ch-alliance`)).json() as ChangesAnswer
    expect(answer.scope).toEqual({ alliance: 'ch-alliance' })
  })

  it('bounds both points by reportedBy, as the diff does', async () => {
    const later = new Date(Date.now() + 60_000).toISOString()
    const changes = await agreed(
      `fromAsOf=2024-04-30&toAsOf=2024-06-30&reportedBy=${encodeURIComponent(beforeCorrections)}&toKnownAt=${encodeURIComponent(later)}`,
    )
    expect(changes.some((c) => c.model === 'price' && c.key.component === 'output')).toBe(false)
    expect(changes.some((c) => c.model === 'price' && c.key.component === 'input')).toBe(true)
  })

  it('takes nothing back by a retraction published after reportedBy, as the diff does', async () => {
    const known = `fromKnownAt=${encodeURIComponent(beforeCorrections)}&reportedBy=${encodeURIComponent(beforeCorrections)}`
    expect(await agreed(`fromAsOf=2024-06-30&toAsOf=2024-06-30&${known}`)).toEqual([])
  })

  it('states the points it compared and how far it replayed', async () => {
    const answer = (await changesReport('fromAsOf=2024-04&toAsOf=2024-06')).json() as ChangesAnswer
    expect(answer).toMatchObject({
      report: 'changes',
      fromAsOf: '2024-04-30T23:59:59.999Z',
      toAsOf: '2024-06-30T23:59:59.999Z',
      position: market.head,
      scope: {},
    })
  })

  it('answers in CSV exactly as the diff does', async () => {
    const query = `fromAsOf=2024-04-30&toAsOf=2024-06-30&fromKnownAt=${encodeURIComponent(beforeCorrections)}`
    const [report, read] = await Promise.all([changesReport(query, 'csv'), diff(query, 'csv')])
    expect(report.headers['content-type']).toContain('text/csv')
    expect(report.headers['content-disposition']).toMatch(
      /^attachment; filename="changes-2024-04-30-to-2024-06-30/,
    )
    expect(report.body).toBe(read.body)
    expect(report.body.split('\r\n')[0]).toBe('model,key,change,cause,before,after,eventIds')
  })

  it('answers in Markdown with one table of the changes', async () => {
    const res = await changesReport('fromAsOf=2024-04-30&toAsOf=2024-06-30', 'markdown')
    expect(res.headers['content-type']).toContain('text/markdown')
    const text = res.body
    expect(text).toMatch(/^# Changes between two points in time\n/)
    expect(text).toContain('| Model | Key | Change | Cause | Before | After | Events |')
    expect(text).toContain(`| price | product=ch-long;component=input | changed | valid-time |`)
    expect(text).toContain(`${ids.priceMarch} ${ids.priceCut} |`)
  })

  it('is listed among the reports with its parameters', async () => {
    const res = await t.inject('/v1/reports')
    const listed = res.json().reports.find((r: { name: string }) => r.name === 'changes')
    expect(listed.parameters).toEqual([
      'fromAsOf',
      'toAsOf',
      'fromKnownAt',
      'toKnownAt',
      'reportedBy',
      'company',
      'product',
      'alliance',
      'format',
    ])
  })
})

describe('bad input to the changes report', () => {
  const problem = async (query: string, path: string) => {
    const res = await t.inject(`/v1/reports/changes?${query}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(JSON.stringify(res.json())).toContain(path)
  }

  it('names fromAsOf when it is missing', () => problem('toAsOf=2024-06', '/fromAsOf'))
  it('names a date that is no date', () => problem('fromAsOf=2024-04&toKnownAt=2024-13-01', 'toKnownAt'))
  it('names the second of two scopes', () =>
    problem('fromAsOf=2024-04&company=ch-ai&product=ch-long', '/product'))
  it('names a scope that is no slug', () => problem('fromAsOf=2024-04&company=CH%20AI', 'company'))
  it('names a parameter it does not take', () => problem('fromAsOf=2024-04&asOf=2024-05', 'asOf'))
})

describe('the changes report as a job', () => {
  it('gives, when completed, the changes the diff gives', async () => {
    const body = {
      fromAsOf: '2024-04-30',
      toAsOf: '2024-06-30',
      fromKnownAt: beforeCorrections,
      company: 'ch-cloud',
    }
    const res = await t.inject({ method: 'POST', url: '/v1/reports/changes', payload: body })
    expect(res.statusCode, res.body).toBe(202)
    const { jobId } = res.json()
    const deadline = Date.now() + 20_000
    let job = (await t.inject(`/v1/reports/jobs/${jobId}`)).json()
    while (job.status !== 'completed' && job.status !== 'failed' && Date.now() < deadline) {
      await sleep(50)
      job = (await t.inject(`/v1/reports/jobs/${jobId}`)).json()
    }
    expect(job.status, JSON.stringify(job)).toBe('completed')
    expect(job.parameters).toMatchObject({
      fromAsOf: '2024-04-30T23:59:59.999Z',
      toAsOf: '2024-06-30T23:59:59.999Z',
    })
    const query = `fromAsOf=2024-04-30&toAsOf=2024-06-30&fromKnownAt=${encodeURIComponent(beforeCorrections)}&company=ch-cloud`
    const read = (await diff(query)).json()
    expect(job.result.changes).toEqual(read.changes)
    expect(job.result.changes.length).toBeGreaterThan(0)
    const csv = await t.inject(`/v1/reports/jobs/${jobId}/result?format=csv`)
    expect(csv.statusCode).toBe(200)
    // The stored result is jsonb, which orders an object's keys its own way: compare the rows as values.
    expect(csvRows(csv.body)).toEqual(csvRows((await diff(query, 'csv')).body))
  })
})

// Last in this file: it empties the read models.
describe('the changes report, by replay', () => {
  it('gives the same changes when every read model is emptied: it reads none of them', async () => {
    const query = `fromAsOf=2024-04-30&toAsOf=2024-06-30&fromKnownAt=${encodeURIComponent(beforeCorrections)}`
    const before = (await changesReport(query)).json() as ChangesAnswer
    expect(before.changes.length).toBeGreaterThan(3)
    const { rows } = await sql<{ name: string }>`
      select format('%I.%I', table_schema, table_name) as name
        from information_schema.tables
       where table_schema like 'rm\\_%' and table_type = 'BASE TABLE'
    `.execute(t.database.handle.db)
    expect(rows.length).toBeGreaterThan(5)
    await sql`truncate ${sql.raw(rows.map((r) => r.name).join(', '))}`.execute(t.database.handle.db)
    expect((await diff(query)).json().changes).toEqual([])
    const after = (await changesReport(query)).json() as ChangesAnswer
    expect(after.changes).toEqual(before.changes)
  })
})
