import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { runToEnd } from '../support/process.js'

/**
 * The corrections file: a database that loaded only the first seed file converges, by loading the
 * folder again, to the same answers as a fresh load of both; and each correction is in the log.
 */
const firstFile = 'securities-daily-2024-llm-market.json'
const correctionsFile = 'securities-daily-2024-llm-market-corrections.json'
const articleFile = new URL('./articles/securities-daily-2024-llm-market.txt', import.meta.url)

const readSeed = async (file: string): Promise<EventInput[]> =>
  JSON.parse(await readFile(path.join(defaultSeedsDir, file), 'utf8')).events

let upgraded: TestApp
let fresh: TestApp
let first: EventInput[]
let corrections: EventInput[]
let log: RecordedEvent[]

async function allEvents(t: TestApp): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = []
  for await (const event of t.store.stream({})) events.push(event)
  return events
}

beforeAll(async () => {
  first = await readSeed(firstFile)
  corrections = await readSeed(correctionsFile)
  ;[upgraded, fresh] = await Promise.all([startTestApp({ worker: true }), startTestApp({ worker: true })])
  // A database that loaded the seeds as they were before the corrections file existed.
  const onlyFirst = await mkdtemp(path.join(tmpdir(), 'seeds-first-'))
  try {
    await copyFile(path.join(defaultSeedsDir, firstFile), path.join(onlyFirst, firstFile))
    const [report] = await loadSeeds(upgraded.store, catalogue, onlyFirst)
    expect(report?.appended).toBe(first.length)
  } finally {
    await rm(onlyFirst, { recursive: true })
  }
  await loadSeeds(fresh.store, catalogue, defaultSeedsDir)
  log = await allEvents(fresh)
}, 120_000)
afterAll(async () => {
  await Promise.all([upgraded?.close(), fresh?.close()])
})

/** Instants recorded by this run (recordedAt, knownAt, retracted at) differ between the databases. */
function withoutRecordingTimes(value: unknown): unknown {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value)) {
    return Math.abs(Date.parse(value) - Date.now()) < 86_400_000 ? '<recorded now>' : value
  }
  if (Array.isArray(value)) return value.map(withoutRecordingTimes)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutRecordingTimes(v)]))
  return value
}

async function answer(t: TestApp, url: string): Promise<unknown> {
  const head = await t.store.headPosition()
  const res = await t.inject(`${url}${url.includes('?') ? '&' : '?'}consistentWith=${head}`)
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
  return withoutRecordingTimes(res.json())
}

async function wholeTimeline(t: TestApp): Promise<unknown[]> {
  const entries: unknown[] = []
  let next: string | null = null
  for (let page = 0; page < 20; page++) {
    const body = (await answer(t, `/v1/timeline?limit=200&kind=all${next ? `&next=${next}` : ''}`)) as {
      events: unknown[]
      next: string | null
    }
    entries.push(...body.events)
    next = body.next
    if (!next) return entries
  }
  throw new Error('the timeline did not end within 20 pages')
}

/** The events of the log that count now: not retracted, and not retractions. */
function inEffect(events: readonly RecordedEvent[]): RecordedEvent[] {
  const retracted = new Set(
    events.filter((e) => e.type === 'event.retracted').map((e) => (e.data as { eventId: string }).eventId),
  )
  return events.filter((e) => e.type !== 'event.retracted' && !retracted.has(e.id))
}

const dataOf = (e: RecordedEvent) => e.data as Record<string, unknown>

describe('loading the corrections over a database that holds the first seeds', () => {
  it('with `npm run seed` appends only the corrections, and a second load adds nothing', async () => {
    const result = await runToEnd('src/cli/seed.ts', { DATABASE_URL: upgraded.database.url })
    expect(result.code, result.out).toBe(0)
    expect(result.out).toContain(
      `${firstFile}: ${first.length} events, 0 new, ${first.length} already stored`,
    )
    expect(result.out).toContain(
      `${correctionsFile}: ${corrections.length} events, ${corrections.length} new, 0 already stored`,
    )
    const again = await loadSeeds(upgraded.store, catalogue, defaultSeedsDir)
    expect(again.map((r) => r.appended)).toEqual([0, 0])
    expect(await upgraded.store.headPosition()).toBe(first.length + corrections.length)
  }, 120_000)

  it('gives every read model the same answers as a fresh load of both files', async () => {
    const companies = inEffect(log)
      .filter((e) => e.type === 'entity.registered' && dataOf(e).kind === 'company')
      .map((e) => e.subject)
    const urls = [
      '/v1/entities',
      '/v1/funding',
      '/v1/funding?asOf=2023-12-31',
      '/v1/alliances',
      '/v1/alliances?asOf=2024-05-31',
      '/v1/alliances/auto-llm-ecosystem-alliance',
      '/v1/alliances/smart-device-llm-alliance',
      ...['2024-04-30', '2024-05-21', '2024-05-31', '2024-06-30'].map((asOf) => `/v1/prices?asOf=${asOf}`),
      ...['hunyuan-lite', 'qwen-long', 'ernie-speed'].map((p) => `/v1/products/${p}/prices`),
      ...companies.flatMap((c) => [`/v1/companies/${c}`, `/v1/companies/${c}?asOf=2024-05-20`]),
      '/v1/timeline/periods',
      '/v1/timeline/periods?kind=all',
      '/v1/relations',
      '/v1/relations?asOf=2024-05-31',
    ]
    expect(companies.length).toBeGreaterThan(20)
    for (const url of urls) {
      expect(await answer(upgraded, url), url).toEqual(await answer(fresh, url))
    }
    expect(await wholeTimeline(upgraded)).toEqual(await wholeTimeline(fresh))
  }, 120_000)
})

describe('the corrections', () => {
  const retractionOf = (eventId: string) =>
    log.find((e) => e.type === 'event.retracted' && dataOf(e).eventId === eventId)

  it('retract only events of the first file, each once, under its own subject, with a reason', () => {
    const byId = new Map(first.map((e) => [e.id, e]))
    const retractions = corrections.filter((e) => e.type === 'event.retracted')
    expect(retractions.length).toBeGreaterThan(40)
    const ids = retractions.map((e) => e.data.eventId as string)
    expect(new Set(ids).size).toBe(ids.length)
    for (const r of retractions) {
      const target = byId.get(r.data.eventId as string)
      expect(target, r.id).toBeDefined()
      expect(r.subject).toBe(target?.subject)
      expect(String(r.data.reason).length).toBeGreaterThan(30)
    }
  })

  it('date no registration by a founding year from outside the articles: IDC no longer opens the timeline in 1964', async () => {
    const idc1964 = 'd06734f6-0a74-4caf-8dee-5494882d7293'
    expect(retractionOf(idc1964)).toBeDefined()
    const idc = inEffect(log).filter((e) => e.subject === 'idc' && e.type === 'entity.registered')
    expect(idc.map((e) => e.occurredAt)).toEqual(['2024-06'])
    // Known now, the whole timeline (registrations too) starts with Baidu's 2013 (可以追溯到2013年), not a founding year.
    const now = (await answer(fresh, '/v1/timeline?limit=1&kind=all')) as {
      events: Array<{ occurredAt: string }>
    }
    expect(now.events[0]?.occurredAt).toBe('2013')
    for (const e of inEffect(log)) expect(Number(e.occurredAt.slice(0, 4)), e.id).toBeGreaterThanOrEqual(2013)
    // Known before the corrections were recorded, it still did: the log keeps both.
    const before = new Date(Date.parse(retractionOf(idc1964)?.recordedAt ?? '') - 1).toISOString()
    const then = (await answer(fresh, `/v1/timeline?limit=1&kind=all&knownAt=${before}`)) as {
      events: Array<{ occurredAt: string; subject: string }>
    }
    expect(then.events[0]).toMatchObject({ occurredAt: '1964', subject: 'idc' })
  })

  it('register each entity once: the alliances by alliance.formed alone', () => {
    const naming = inEffect(log).filter((e) => catalogue.get(e.type)?.namesEntity)
    const subjects = naming.map((e) => e.subject)
    expect(subjects.filter((s, i) => subjects.indexOf(s) !== i)).toEqual([])
    for (const alliance of ['auto-llm-ecosystem-alliance', 'smart-device-llm-alliance'])
      expect(naming.filter((e) => e.subject === alliance).map((e) => e.type)).toEqual(['alliance.formed'])
  })

  it('rename the R&D metric to what the article says (研发投入)', () => {
    const metrics = inEffect(log).filter((e) => e.type === 'metric.reported' && e.subject === 'baidu')
    expect(metrics.map((e) => dataOf(e).metric)).toEqual(['cumulative-rd-investment'])
    expect(dataOf(metrics[0] as RecordedEvent)).toMatchObject({ value: '100000000000', qualifier: 'over' })
  })

  it("store hunyuan-lite's window as a plan, and its price at the time of the upgrade announcement", () => {
    const facts = inEffect(log)
    const window = facts.filter((e) => e.subject === 'hunyuan-lite' && e.type === 'product.updated')
    expect(window.map((e) => dataOf(e))).toEqual([
      expect.objectContaining({
        status: 'planned',
        contextWindowTokens: 256000,
        previousContextWindowTokens: 4000,
      }),
    ])
    const upgrade = facts.find((e) => e.subject === 'hunyuan' && e.type === 'product.updated')
    const price = facts.filter((e) => e.subject === 'hunyuan-lite' && e.type === 'price.changed')
    expect(price).toHaveLength(1)
    expect(price[0]?.occurredAt).toBe(upgrade?.occurredAt)
    expect(price[0]?.data).toMatchObject({ amount: '0', previousAmount: '0.008' })
  })

  it('record the 2024 Government Work Report and its "AI+" action as policies', () => {
    const policies = inEffect(log).filter((e) => e.type === 'policy.announced')
    expect(policies.map((e) => dataOf(e).localName)).toEqual(['2024年《政府工作报告》', '“人工智能+”行动'])
    expect(String(dataOf(policies[0] as RecordedEvent).summary)).toContain('for the first time')
  })

  it("name Alibaba, Tencent, Meituan and Xiaomi among the AI newcomers' backers, and no more", () => {
    const facts = inEffect(log)
    const backers = facts.filter((e) => e.type === 'relation.established' && dataOf(e).kind === 'invests-in')
    expect(backers.map((e) => [e.subject, dataOf(e).to]).sort()).toEqual(
      ['alibaba', 'meituan', 'tencent', 'xiaomi'].map((s) => [s, 'china-ai-newcomers']),
    )
    // The article names no company, round or amount for them.
    expect(facts.filter((e) => e.type === 'stake.acquired').map((e) => e.subject)).toEqual(['baidu', 'baidu'])
    for (const round of facts.filter((e) => e.type === 'funding.round_closed'))
      expect(dataOf(round).investors).toEqual([])
  })

  it('turn the prose relations into facts, with no day the article does not give', () => {
    const relations = inEffect(log).filter((e) => e.type === 'relation.established')
    const triples = relations.map((e) => `${e.subject} ${dataOf(e).kind} ${dataOf(e).to}`)
    expect(triples).toEqual(
      expect.arrayContaining([
        'ai-yiyu-chengge built-on skymusic',
        'tencent-yuanbao built-on hunyuan',
        'qwen-long part-of qwen',
        'hunyuan-lite part-of hunyuan',
        'ernie-speed part-of ernie',
        'ernie-lite part-of ernie',
        'tencent-yuanbao integrates wecom',
        'volcano-ark integrates douyin',
        ...['oppo-breeno', 'honor-yoyo', 'xiaomi-xiaoai', 'asus-douding'].map(
          (a) => `${a} integrates volcano-engine`,
        ),
      ]),
    )
    for (const e of relations.filter((r) => dataOf(r).to === 'volcano-engine'))
      expect(e.occurredAt).toBe('2024-06')
  })

  it('keep product.updated for changes: no launch or current use stored as an update', () => {
    const updates = inEffect(log).filter((e) => e.type === 'product.updated')
    expect(updates.map((e) => `${e.subject} ${dataOf(e).status ?? 'in effect'}`).sort()).toEqual([
      'doubao announced',
      'hunyuan in effect',
      'hunyuan-lite planned',
      'volcano-ark in effect',
    ])
    const launches = inEffect(log).filter((e) => e.type === 'product.launched')
    expect(launches.find((e) => e.subject === 'ai-yiyu-chengge')?.data).toMatchObject({
      company: 'kunlun-tech',
      partners: ['migu-music'],
    })
    expect(launches.filter((e) => dataOf(e).company === 'iflytek')).toHaveLength(5)
  })

  it('mark in every appended event the values its source does not state, each pointer resolving', () => {
    for (const event of corrections) {
      const assumed = event.source?.assumed ?? []
      expect(assumed, event.id).toContain('/source/publishedAt')
      for (const pointer of assumed) {
        const value = pointer
          .split('/')
          .slice(1)
          .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
          .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], event)
        expect(value, `${event.id} ${pointer}`).toBeDefined()
      }
      expect(event.source?.note, event.id).toMatch(/publishedAt/)
    }
  })

  it('quote, in every event of both files, a verbatim passage of its own article', async () => {
    const text = await readFile(articleFile, 'utf8')
    const cut = text.indexOf('本报记者 郭冀川 田 鹏')
    expect(cut).toBeGreaterThan(0)
    // The quotes are copied with the newspaper's line breaks removed.
    const articles = new Map([
      ['企业积极参与垂直行业大模型建设 构建生态系统扩大“朋友圈”', text.slice(0, cut).replaceAll('\n', '')],
      ['“百模大战”引各路资本争相布局 企业如何在行业洗牌中突围？', text.slice(cut).replaceAll('\n', '')],
    ])
    for (const event of [...first, ...corrections]) {
      const article = articles.get(event.source?.title ?? '')
      expect(article, `${event.id}: ${event.source?.title}`).toBeDefined()
      expect(article?.includes(event.source?.quote ?? '∅'), `${event.id}: ${event.source?.quote}`).toBe(true)
    }
  })
})
