import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { batches, generateHistory } from '../support/generate.js'

/**
 * Report jobs on a real pg-boss and worker: a replay of a few thousand events, stored page by
 * page (100 events a page here), so that a client polling the job sees its progress move.
 */
let t: TestApp
const PAGE = 100

beforeAll(async () => {
  t = await startTestApp({ worker: true, reportPageSize: PAGE })
  for (const batch of batches(generateHistory(11, 4000, { companies: 12 }), 500)) await t.store.append(batch)
})
afterAll(() => t.close())

interface JobBody {
  status: string
  progress: { replayed: number; total: number | null }
  parameters: Record<string, string | null>
  result?: Record<string, unknown>
}

async function queue(name: string, body: object): Promise<string> {
  const res = await t.inject({ method: 'POST', url: `/v1/reports/${name}`, payload: body })
  expect(res.statusCode, res.body).toBe(202)
  const { jobId } = res.json()
  expect(res.headers.location).toBe(`/v1/reports/jobs/${jobId}`)
  return jobId
}

/** Polls the job as a client would, as fast as it answers, until it has finished. */
async function follow(jobId: string): Promise<JobBody[]> {
  const seen: JobBody[] = []
  const deadline = Date.now() + 20_000
  for (;;) {
    const res = await t.inject(`/v1/reports/jobs/${jobId}`)
    expect(res.statusCode, res.body).toBe(200)
    const job: JobBody = res.json()
    seen.push(job)
    if (job.status === 'completed' || job.status === 'failed') return seen
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after 20 s`)
  }
}

describe('a market snapshot replayed as a job', () => {
  it('shows its progress move, page by page, up to every event replayed', async () => {
    const jobId = await queue('market-snapshot', { asOf: '2023-06-30' })
    const seen = await follow(jobId)
    const last = seen.at(-1) as JobBody
    expect(last.status).toBe('completed')
    expect(last.progress.total).toBeGreaterThan(20 * PAGE)
    expect(last.progress.replayed).toBe(last.progress.total)
    const during = seen.filter((job) => job.status === 'running' && job.progress.total !== null)
    const partial = during.filter((job) => job.progress.replayed < (job.progress.total ?? 0))
    expect(partial.length).toBeGreaterThan(0)
    const replayed = seen.map((job) => job.progress.replayed)
    expect(replayed).toEqual([...replayed].sort((a, b) => a - b))
  })

  it('gives the same report as the synchronous request for the same instants', async () => {
    const jobId = await queue('market-snapshot', { asOf: '2023-06-30' })
    const job = (await follow(jobId)).at(-1) as JobBody
    expect(job.parameters.asOf).toBe('2023-06-30T23:59:59.999Z')
    const knownAt = encodeURIComponent(job.parameters.knownAt as string)
    const direct = await t.inject(`/v1/reports/market-snapshot?asOf=2023-06-30&knownAt=${knownAt}`)
    expect(job.result).toEqual(direct.json())
    expect((job.result?.products as unknown[] | undefined)?.length).toBeGreaterThan(10)
  })

  it("serves a finished job's report as CSV or Markdown, and refuses it before then", async () => {
    const jobId = await queue('price-changes', { from: '2022-01', to: '2022-12' })
    // Forty pages cannot be replayed between two requests: the job has not finished yet.
    const early = await t.inject(`/v1/reports/jobs/${jobId}/result?format=csv`)
    expect(early.statusCode).toBe(409)
    expect(early.json().type).toContain('report-not-ready')
    const job = (await follow(jobId)).at(-1) as JobBody
    const csv = await t.inject(`/v1/reports/jobs/${jobId}/result?format=csv`)
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="price-changes-2022-01-to-2022-12.csv"',
    )
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[]
    expect(rows.length).toBe((job.result?.changes as unknown[] | undefined)?.length)
    expect(rows.every((r) => r.effectiveFrom?.startsWith('2022-'))).toBe(true)
    const markdown = await t.inject(`/v1/reports/jobs/${jobId}/result?format=markdown`)
    expect(markdown.body).toMatch(/^# Price changes\n/)
    const json = await t.inject(`/v1/reports/jobs/${jobId}/result`)
    expect(json.headers['content-disposition']).toBe(
      'inline; filename="price-changes-2022-01-to-2022-12.json"',
    )
    expect(json.json()).toEqual(job.result)
  })

  it('takes no body at all as "now" for every date', async () => {
    const res = await t.inject({ method: 'POST', url: '/v1/reports/funding' })
    expect(res.statusCode, res.body).toBe(202)
    const job = (await follow(res.json().jobId)).at(-1) as JobBody
    expect(job).toMatchObject({ status: 'completed', parameters: { from: null, to: null } })
  })
})

describe('bad report job requests', () => {
  it.each([
    ['market-snapshot', { asOf: '2024-02-30' }, '/asOf'],
    ['market-snapshot', { from: '2024-01' }, '/from'],
    ['price-changes', { from: '2024-06', to: '2024-05' }, '/from'],
    ['funding', { knownAt: 'soon' }, '/knownAt'],
    ['funding', { format: 'csv' }, '/format'],
  ])('%s with %j is a 400 naming %s', async (name, body, path) => {
    const res = await t.inject({ method: 'POST', url: `/v1/reports/${name}`, payload: body })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
  })

  it('an unknown report is a 404', async () => {
    const res = await t.inject({ method: 'POST', url: '/v1/reports/gossip', payload: {} })
    expect(res.statusCode).toBe(404)
  })

  it('an unknown job is a 404, and a malformed job id a 400', async () => {
    expect((await t.inject('/v1/reports/jobs/0b6f4c1e-3d0a-4c55-9d57-1f0c1c7c2a10')).statusCode).toBe(404)
    expect((await t.inject('/v1/reports/jobs/42')).statusCode).toBe(400)
  })
})
