import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { runToEnd } from '../support/process.js'

/** `npm run export` from one service, `npm run import` into an empty one: the same answers. */
let source: TestApp
let target: TestApp
let sourceUrl: string
let targetUrl: string
let folder: string
let seededAt: string
let later: RecordedEvent

beforeAll(async () => {
  ;[source, target] = await Promise.all([startTestApp({ worker: true }), startTestApp({ worker: true })])
  sourceUrl = await source.app.listen({ port: 0, host: '127.0.0.1' })
  targetUrl = await target.app.listen({ port: 0, host: '127.0.0.1' })
  folder = await mkdtemp(path.join(tmpdir(), 'market-timeline-export-'))
  await loadSeeds(source.store, catalogue)
  seededAt = (await source.store.query({ limit: 1000 })).at(-1)?.recordedAt as string
  await sleep(5)
  ;[later] = (await source.store.append([priceChange('qwen-long', '0.0004', { occurredAt: '2024-07-01' })]))
    .events as [RecordedEvent]
})
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()])
  await rm(folder, { recursive: true, force: true })
})

const exporting = (url: string, args: string[]) => runToEnd('src/cli/export.ts', {}, [...args, '--url', url])

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** An answer without what only the recording says: when, and at which position. */
function withoutRecording(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRecording)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !['recordedAt', 'knownAt', 'position'].includes(key))
      .map(([key, v]) => [key, withoutRecording(v)]),
  )
}

describe('npm run export', { timeout: 120_000 }, () => {
  it('exports the log, which imported into an empty database gives the same answers', async () => {
    const file = path.join(folder, 'log.ndjson')
    const exported = await exporting(sourceUrl, ['log', '--out', file])
    expect(exported.code, exported.out).toBe(0)
    const log = lines(await readFile(file, 'utf8'))
    const head = await source.store.headPosition()
    expect(log.length).toBe(head)
    expect(log.at(-1)?.id).toBe(later.id)

    const imported = await runToEnd('src/cli/import.ts', {}, [
      file,
      '--url',
      targetUrl,
      '--key',
      testAdminKey,
    ])
    expect(imported.code, imported.out).toBe(0)
    expect(imported.out).toContain(`${head} new, 0 already stored`)
    const targetHead = await target.store.headPosition()

    const ask = async (app: TestApp, url: string, position: number) => {
      const separator = url.includes('?') ? '&' : '?'
      const response = await app.inject(`${url}${separator}consistentWith=${position}`)
      expect(response.statusCode, response.body).toBe(200)
      // Without asOf each answers as of its own now.
      const { asOf, ...rest } = response.json<Record<string, unknown>>()
      return withoutRecording(url.includes('asOf=') ? { asOf, ...rest } : rest)
    }
    const companies = (await source.inject('/v1/entities'))
      .json<{ entities: Array<{ slug: string; kind: string }> }>()
      .entities.filter((e) => e.kind === 'company')
      .map((e) => `/v1/companies/${e.slug}`)
    expect(companies.length).toBeGreaterThan(3)
    const questions = [
      '/v1/prices',
      '/v1/prices?asOf=2024-05-10',
      '/v1/prices?asOf=2024-06-30',
      '/v1/alliances',
      '/v1/alliances?asOf=2024-03',
      '/v1/funding?limit=1000',
      '/v1/timeline?limit=1000',
      '/v1/timeline?limit=1000&kind=all',
      '/v1/relations?limit=1000',
      '/v1/relations?asOf=2024-05-31&limit=1000',
      '/v1/entities',
      '/v1/products/qwen-long/prices',
      ...companies,
      ...companies.map((c) => `${c}?asOf=2024-01`),
    ]
    for (const question of questions) {
      const [was, is] = await Promise.all([ask(source, question, head), ask(target, question, targetHead)])
      expect(is, question).toEqual(was)
    }

    // The snapshots of both agree too, row for row.
    const [sourceFile, targetFile] = [path.join(folder, 'source.ndjson'), path.join(folder, 'target.ndjson')]
    const [fromSource, fromTarget] = await Promise.all([
      exporting(sourceUrl, ['snapshot', '--as-of', '2024-06-30', '--out', sourceFile]),
      exporting(targetUrl, ['snapshot', '--as-of', '2024-06-30', '--out', targetFile]),
    ])
    expect(fromSource.code, fromSource.out).toBe(0)
    expect(fromTarget.code, fromTarget.out).toBe(0)
    const sourceRows = lines(await readFile(sourceFile, 'utf8'))
    expect(sourceRows.length).toBeGreaterThan(100)
    expect(withoutRecording(lines(await readFile(targetFile, 'utf8')))).toEqual(withoutRecording(sourceRows))
  })

  it('exports the log as recorded by a date, and of some types only', async () => {
    const until = await exporting(sourceUrl, ['log', '--until', seededAt])
    expect(until.code, until.out).toBe(0)
    const seeded = lines(until.out)
    expect(seeded.length).toBe((await source.store.headPosition()) - 1)
    expect(seeded.some((e) => e.id === later.id)).toBe(false)

    const typed = await exporting(sourceUrl, ['log', '--types', 'price.*,alliance.formed'])
    expect(typed.code, typed.out).toBe(0)
    const types = new Set(lines(typed.out).map((e) => e.type))
    expect([...types].sort()).toEqual(['alliance.formed', 'price.changed'])

    const bad = await exporting(sourceUrl, ['log', '--types', 'price.'])
    expect(bad.code).toBe(2)
    expect(bad.out).toMatch(/^export: --types: /m)
    const badDate = await exporting(sourceUrl, ['log', '--until', '2024-13'])
    expect(badDate.code).toBe(2)
    expect(badDate.out).toContain("export: --until: '2024-13' is not a date")
  })

  it('writes a snapshot as NDJSON rows, one per read-model row, and as CSV with a model column', async () => {
    const ndjson = await exporting(sourceUrl, ['snapshot', '--as-of', '2024-05-10', '--known-at', seededAt])
    expect(ndjson.code, ndjson.out).toBe(0)
    const rows = lines(ndjson.out)
    expect(rows[0]).toEqual({
      model: 'snapshot',
      asOf: '2024-05-10T23:59:59.999Z',
      knownAt: seededAt,
      position: await source.store.headPosition(),
    })
    const models = new Set(rows.map((r) => r.model))
    // No alliance of the seeds had formed by 2024-05-10; relations stated earlier had.
    expect([...models]).toEqual(['snapshot', 'entity', 'price', 'relation', 'funding', 'timeline', 'company'])
    const qwen = rows.find((r) => r.model === 'price' && r.product === 'qwen-long' && r.component === 'input')
    // Before the cut of 2024-05-21, as it was known when the seeds were loaded.
    expect(qwen).toMatchObject({ amount: '0.02', currency: 'CNY' })
    // The later change (recorded after knownAt) is not in the timeline.
    expect(rows.some((r) => r.model === 'timeline' && r.eventId === later.id)).toBe(false)
    const prices = (await source.inject(`/v1/prices?asOf=2024-05-10&knownAt=${seededAt}`)).json<{
      prices: unknown[]
    }>()
    expect(rows.filter((r) => r.model === 'price').map(({ model: _, ...row }) => row)).toEqual(prices.prices)

    const csv = await exporting(sourceUrl, ['snapshot', '--format', 'csv', '--model', 'funding,price'])
    expect(csv.code, csv.out).toBe(0)
    const table = parse(csv.out, { columns: true }) as Record<string, string>[]
    expect(table[0]?.model).toBe('snapshot')
    expect(new Set(table.slice(1).map((r) => r.model))).toEqual(new Set(['funding', 'price']))
    const round = table.find((r) => r.model === 'funding' && r['amount.value'])
    expect(round?.['amount.currency']).toMatch(/^[A-Z]{3}$/)
    expect(JSON.parse(round?.investors ?? 'null')).toEqual(expect.any(Array))

    const bad = await exporting(sourceUrl, ['snapshot', '--as-of', 'someday'])
    expect(bad.code).toBe(2)
    expect(bad.out).toMatch(/^export: --as-of: /m)
  })
})
