import { readFile } from 'node:fs/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { defaultSeedsDir, loadSeeds, seedFileOrder } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { runToEnd } from '../support/process.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const seedFile = new URL('../../seeds/securities-daily-2024-llm-market.json', import.meta.url)
const correctionsFile = new URL(
  '../../seeds/securities-daily-2024-llm-market-corrections.json',
  import.meta.url,
)

async function allEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = []
  for await (const event of t.store.stream({})) events.push(event)
  return events
}

describe('the order of seed files', () => {
  it("is by name without .json: a file's corrections come after it", () => {
    expect(seedFileOrder(['b.json', 'a-corrections.json', 'a.json', 'a-b.json'])).toEqual([
      'a.json',
      'a-b.json',
      'a-corrections.json',
      'b.json',
    ])
  })
})

describe('the article seeds', () => {
  it('load through the same validation and store as the API', async () => {
    const reports = await loadSeeds(t.store, catalogue, defaultSeedsDir)
    expect(reports.map((r) => r.file)).toEqual([
      'securities-daily-2024-llm-market.json',
      'securities-daily-2024-llm-market-corrections.json',
    ])
    for (const report of reports) expect(report.appended).toBe(report.events)
    expect(reports[0]?.events).toBeGreaterThan(50)
  })

  it('add nothing when loaded a second time', async () => {
    const before = await t.store.headPosition()
    const reports = await loadSeeds(t.store, catalogue, defaultSeedsDir)
    expect(reports.map((r) => r.appended)).toEqual([0, 0])
    expect(await t.store.headPosition()).toBe(before)
  })

  it('tell the May 2024 price war', async () => {
    const prices = (await allEvents()).filter((e) => e.type === 'price.changed')
    const qwen = prices.find((e) => e.subject === 'qwen-long')
    expect(qwen?.data).toMatchObject({
      component: 'input',
      amount: '0.0005',
      previousAmount: '0.02',
      currency: 'CNY',
    })
    expect(qwen?.effectiveFrom.startsWith('2024-05')).toBe(true)
    const hunyuan = prices.find((e) => e.subject === 'hunyuan-lite')
    expect(hunyuan?.data).toMatchObject({ amount: '0', previousAmount: '0.008' })
    for (const free of ['ernie-speed', 'ernie-lite']) {
      expect(prices.find((e) => e.subject === free)?.data).toMatchObject({ amount: '0' })
    }
  })

  it('quote their source for every fact', async () => {
    const events = await allEvents()
    for (const event of events) {
      expect(event.source?.publisher, event.id).toBe('证券日报')
      expect(event.source?.quote, event.id).toBeTruthy()
    }
  })

  it('register every entity they refer to', async () => {
    const events = await allEvents()
    const known = new Set(
      events
        .filter((e) => e.type === 'entity.registered' || e.type === 'product.launched')
        .map((e) => e.subject),
    )
    const referenced = new Set<string>()
    for (const { subject, data } of events) {
      referenced.add(subject)
      const d = data as Record<string, unknown>
      for (const key of ['company', 'owner', 'member', 'reportedBy', 'to'])
        if (typeof d[key] === 'string') referenced.add(d[key])
      for (const key of ['conveners', 'members', 'parties', 'investors', 'partners']) {
        if (Array.isArray(d[key])) for (const slug of d[key]) referenced.add(slug)
      }
    }
    expect([...referenced].filter((slug) => !known.has(slug))).toEqual([])
  })

  it('load with `npm run seed` into a DATABASE_URL, idempotently', async () => {
    const runSeed = () => runToEnd('src/cli/seed.ts', { DATABASE_URL: t.database.url })
    const count = Number(JSON.parse(await readFile(seedFile, 'utf8')).events.length)
    const corrections = Number(JSON.parse(await readFile(correctionsFile, 'utf8')).events.length)
    const result = await runSeed()
    expect(result.code).toBe(0)
    expect(result.out).toContain(`${count} events, 0 new, ${count} already stored`)
    expect(result.out).toContain(`${corrections} events, 0 new, ${corrections} already stored`)
    const rows = await sql<{ n: number }>`select count(*)::int as n from events`.execute(t.database.handle.db)
    expect(rows.rows[0]?.n).toBe(count + corrections)
  })
})
