import { parse } from 'csv-parse/sync'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { priceChanged } from '../../events/price-changed.js'
import { priceChanges } from '../../reports/price-changes.js'
import { Catalogue } from '../../src/catalogue/catalogue.js'
import { replayReport } from '../../src/reports/replay.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { createTestDatabase } from '../support/database.js'

/** The reports over the article's facts, replayed from the log, in every format. */
let t: TestApp
let head = 0

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await loadSeeds(t.store, catalogue, defaultSeedsDir)
  head = await t.store.headPosition()
})
afterAll(() => t.close())

const report = async (url: string) => {
  const res = await t.inject(url)
  expect(res.statusCode, res.body).toBe(200)
  return res
}

/** The rows of every Markdown table in a document, as objects keyed by the header's titles. */
function markdownTables(text: string): Record<string, string>[][] {
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|'))
  const tables: Record<string, string>[][] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith('|') || lines[i - 1]?.startsWith('|')) continue
    const header = cells(lines[i] as string)
    const rows: Record<string, string>[] = []
    for (i += 2; lines[i]?.startsWith('|'); i++) {
      const row = cells(lines[i] as string)
      rows.push(Object.fromEntries(header.map((title, n) => [title, row[n] ?? ''])))
    }
    tables.push(rows)
  }
  return tables
}

describe('the market snapshot of the articles', () => {
  it('gives every product its price as of the end of June 2024, the read model agreeing', async () => {
    const snapshot = (await report('/v1/reports/market-snapshot?asOf=2024-06-30')).json()
    const qwen = snapshot.products.find((p: { product: string }) => p.product === 'qwen-long')
    expect(qwen).toMatchObject({ name: 'Qwen-Long', company: 'alibaba-cloud' })
    expect(qwen.prices).toEqual([
      expect.objectContaining({
        component: 'input',
        amount: '0.0005',
        effectiveFrom: '2024-05-21T00:00:00.000Z',
      }),
    ])
    const readModel = (await report(`/v1/prices?asOf=2024-06-30&consistentWith=${head}`)).json()
    const fromSnapshot = snapshot.products.flatMap(
      (p: { product: string; prices: Array<{ component: string; amount: string }> }) =>
        p.prices.map((price) => [p.product, price.component, price.amount]),
    )
    expect(fromSnapshot).toEqual(
      readModel.prices.map((p: { product: string; component: string; amount: string }) => [
        p.product,
        p.component,
        p.amount,
      ]),
    )
  })

  it("knows Qwen-Long's price before the cut only from the cut's previousAmount", async () => {
    const snapshot = (await report('/v1/reports/market-snapshot?asOf=2024-05-10')).json()
    const qwen = snapshot.products.find((p: { product: string }) => p.product === 'qwen-long')
    expect(qwen.prices).toEqual([expect.objectContaining({ amount: '0.02', effectiveFrom: null })])
  })

  it("names the members of Volcano Engine's alliances, Baichuan's funding and 01.AI's valuation", async () => {
    const snapshot = (await report('/v1/reports/market-snapshot?asOf=2024-06-30')).json()
    const members = Object.fromEntries(
      snapshot.alliances.map((a: { alliance: string; members: Array<{ member: string }> }) => [
        a.alliance,
        a.members.map((m) => m.member),
      ]),
    )
    expect(members).toEqual({
      'auto-llm-ecosystem-alliance': ['geely-auto', 'great-wall-motor', 'im-motors', 'jetour', 'seres'],
      'smart-device-llm-alliance': ['asus', 'honor', 'oppo', 'samsung', 'vivo', 'xiaomi'],
    })
    const company = (slug: string) => snapshot.companies.find((c: { company: string }) => c.company === slug)
    expect(company('baichuan')).toMatchObject({
      name: 'Baichuan Intelligence',
      fundingRounds: 1,
      fundingTotals: [{ currency: 'USD', amount: '300000000' }],
      latestValuation: null,
    })
    expect(company('01-ai').latestValuation).toMatchObject({ value: '1000000000', qualifier: 'over' })
  })

  it("shows Qianfan's figures of May 2024 among the metrics in effect", async () => {
    const snapshot = (await report('/v1/reports/market-snapshot?asOf=2024-06-30')).json()
    const qianfan = snapshot.metrics.filter((m: { entity: string }) => m.entity === 'qianfan')
    expect(qianfan.map((m: { metric: string; value: string }) => [m.metric, m.value])).toEqual([
      ['cumulative-ai-native-apps', '320000'],
      ['cumulative-enterprise-users', '105000'],
      ['cumulative-fine-tuned-models', '17500'],
    ])
    const before = (await report('/v1/reports/market-snapshot?asOf=2024-04-30')).json()
    expect(before.metrics.filter((m: { entity: string }) => m.entity === 'qianfan')).toEqual([])
  })

  it('knows nothing recorded after knownAt', async () => {
    const snapshot = (await report('/v1/reports/market-snapshot?asOf=2024-06-30&knownAt=2020-01-01')).json()
    expect(snapshot).toMatchObject({
      position: 0,
      eventsReplayed: 0,
      products: [],
      alliances: [],
      companies: [],
    })
  })

  it('says what it replayed: the instants asked about and the log position reached', async () => {
    const snapshot = (await report('/v1/reports/market-snapshot?asOf=2024-06-30')).json()
    expect(snapshot).toMatchObject({
      report: 'market-snapshot',
      asOf: '2024-06-30T23:59:59.999Z',
      position: head,
    })
    expect(snapshot.eventsReplayed).toBeGreaterThan(90)
  })
})

describe('the May 2024 price war', () => {
  const url = '/v1/reports/price-changes?from=2024-05-01&to=2024-05-31'

  it('lists every change with its old and new amount and the change in percent', async () => {
    const { changes } = (await report(url)).json()
    expect(
      changes.map((c: Record<string, unknown>) => [c.product, c.oldAmount, c.newAmount, c.percentChange]),
    ).toEqual([
      ['hunyuan-lite', '0.008', '0', '-100'],
      ['qwen-long', '0.02', '0.0005', '-97.5'],
      ['ernie-speed', null, '0', null],
      ['ernie-lite', null, '0', null],
    ])
    // hunyuan-lite's price is dated with the Hunyuan upgrade (May 2024), before the cuts of 21 May.
    expect(changes[0]).toMatchObject({ product: 'hunyuan-lite', occurredAt: '2024-05' })
    expect(changes[1]).toMatchObject({
      productName: 'Qwen-Long',
      company: 'alibaba-cloud',
      component: 'input',
      currency: 'CNY',
      unit: '1K tokens',
      occurredAt: '2024-05-21',
      oldAmountFrom: 'previousAmount',
    })
  })

  it('has no change before the war', async () => {
    const { changes } = (await report('/v1/reports/price-changes?from=2024-01&to=2024-04')).json()
    expect(changes).toEqual([])
  })

  it('comes as CSV that an RFC 4180 parser reads back, with a header row and a file name', async () => {
    const res = await report(`${url}&format=csv`)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present')
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="price-changes-2024-05-01-to-2024-05-31.csv"',
    )
    expect(res.body).toMatch(/\r\n$/)
    const rows = parse(res.body, { columns: true }) as Record<string, string>[]
    expect(rows.map((r) => [r.product, r.oldAmount, r.newAmount, r.percentChange])).toEqual([
      ['hunyuan-lite', '0.008', '0', '-100'],
      ['qwen-long', '0.02', '0.0005', '-97.5'],
      ['ernie-speed', '', '0', ''],
      ['ernie-lite', '', '0', ''],
    ])
  })

  it('comes as Markdown tables a person can paste', async () => {
    const res = await report(`${url}&format=markdown`)
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8')
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="price-changes-2024-05-01-to-2024-05-31.md"',
    )
    expect(res.body).toMatch(/^# Price changes\n/)
    const [changes] = markdownTables(res.body)
    expect(changes?.map((r) => [r.Product, r.Old, r.New, r['Change %']])).toEqual([
      ['hunyuan-lite', '0.008', '0', '-100'],
      ['qwen-long', '0.02', '0.0005', '-97.5'],
      ['ernie-speed', '', '0', ''],
      ['ernie-lite', '', '0', ''],
    ])
  })

  it('is JSON by default, shown inline under a file name', async () => {
    const res = await report(url)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['content-disposition']).toBe(
      'inline; filename="price-changes-2024-05-01-to-2024-05-31.json"',
    )
  })
})

describe('the funding report', () => {
  it('lists the rounds of 2023 as the funding read model does, with totals by currency', async () => {
    const funding = (await report('/v1/reports/funding?from=2023&to=2023')).json()
    const readModel = (await report(`/v1/funding?from=2023&to=2023&consistentWith=${head}`)).json()
    expect(funding.rounds).toEqual(readModel.rounds)
    expect(funding.rounds.map((r: { company: string }) => r.company)).toEqual(['baichuan', '01-ai'])
    expect(funding.totalsByCurrency).toEqual([{ currency: 'USD', amount: '300000000', rounds: 1 }])
  })

  it('comes as one CSV table whose section column tells the tables apart', async () => {
    const res = await report('/v1/reports/funding?from=2023&to=2023&format=csv')
    const rows = parse(res.body, { columns: true }) as Record<string, string>[]
    expect(rows.map((r) => [r.section, r.company, r.round, r.currency, r.total])).toEqual([
      ['rounds', 'baichuan', 'A1', 'USD', ''],
      ['rounds', '01-ai', 'undisclosed', '', ''],
      ['totals-by-currency', '', '', 'USD', '300000000'],
    ])
  })
})

describe('the market snapshot in every format', () => {
  it('reads back from CSV: one row per product price, alliance member, company, metric and relation', async () => {
    const res = await report('/v1/reports/market-snapshot?asOf=2024-06-30&format=csv')
    expect(res.headers['content-disposition']).toBe('attachment; filename="market-snapshot-2024-06-30.csv"')
    const rows = parse(res.body, { columns: true }) as Record<string, string>[]
    const sections = new Set(rows.map((r) => r.section))
    expect([...sections]).toEqual(['prices', 'alliance-members', 'companies', 'metrics', 'relations'])
    expect(rows.find((r) => r.product === 'qwen-long')).toMatchObject({ amount: '0.0005', currency: 'CNY' })
    expect(rows.filter((r) => r.alliance === 'smart-device-llm-alliance')).toHaveLength(6)
    expect(rows.find((r) => r.section === 'companies' && r.company === 'baichuan')).toMatchObject({
      fundingTotal: '300000000',
      fundingCurrency: 'USD',
    })
  })

  it('reads back from Markdown: a table per section', async () => {
    const res = await report('/v1/reports/market-snapshot?asOf=2024-06-30&format=markdown')
    expect(res.body).toContain('## Alliances and members')
    const [prices, members, companies, metrics] = markdownTables(res.body)
    expect(prices?.find((r) => r.Product === 'hunyuan-lite')).toMatchObject({
      Amount: '0',
      Name: 'hunyuan-lite',
    })
    expect(members?.filter((r) => r.Alliance === 'auto-llm-ecosystem-alliance')).toHaveLength(5)
    expect(companies?.find((r) => r.Company === '01-ai')).toMatchObject({ 'Latest valuation': '1000000000' })
    expect(metrics?.length).toBeGreaterThan(5)
  })

  it('names its file after asOf and knownAt', async () => {
    const res = await report(
      '/v1/reports/market-snapshot?asOf=2024-06-30&knownAt=2024-07-01T12:00:00%2B08:00&format=markdown',
    )
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="market-snapshot-2024-06-30-known-2024-07-01T12-00-00-08-00.md"',
    )
  })
})

describe('bad report parameters', () => {
  const problemOf = async (url: string, status = 400) => {
    const res = await t.inject(url)
    expect(res.statusCode, res.body).toBe(status)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    return res.json()
  }

  it('an unknown report is a 404 that lists the reports there are', async () => {
    const problem = await problemOf('/v1/reports/market-gossip', 404)
    expect(problem.detail).toContain('market-snapshot, price-changes, funding')
  })

  it('from after to is a 400 naming from', async () => {
    const problem = await problemOf('/v1/reports/price-changes?from=2024-06&to=2024-05')
    expect(problem.errors).toEqual([{ path: '/from', message: 'must not be after to (2024-05)' }])
  })

  it.each([
    ['/v1/reports/market-snapshot?asOf=2024-02-30', '/asOf'],
    ['/v1/reports/market-snapshot?knownAt=2024-13', '/knownAt'],
    ['/v1/reports/price-changes?from=yesterday', '/from'],
    ['/v1/reports/funding?to=2024-5', '/to'],
    ['/v1/reports/market-snapshot?from=2024', '/from'],
    ['/v1/reports/funding?format=pdf', '/format'],
  ])('%s is a 400 naming %s', async (url, path) => {
    const problem = await problemOf(url)
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path)
  })

  it('SQL in a parameter is refused as a bad date', async () => {
    const problem = await problemOf(
      `/v1/reports/market-snapshot?asOf=${encodeURIComponent("2024' or '1'='1")}`,
    )
    expect(problem.errors[0].path).toBe('/asOf')
  })
})

describe('the reports in the API description', () => {
  it('lists the reports with their parameters', async () => {
    const { reports } = (await report('/v1/reports')).json()
    expect(reports.map((r: { name: string; parameters: string[] }) => [r.name, r.parameters])).toEqual([
      ['market-snapshot', ['asOf', 'knownAt', 'reportedBy', 'format']],
      ['price-changes', ['from', 'to', 'knownAt', 'reportedBy', 'format']],
      ['funding', ['from', 'to', 'knownAt', 'reportedBy', 'format']],
      [
        'changes',
        [
          'fromAsOf',
          'toAsOf',
          'fromKnownAt',
          'toKnownAt',
          'reportedBy',
          'company',
          'product',
          'alliance',
          'format',
        ],
      ],
    ])
  })

  it('describes every report endpoint under the reports tag of /openapi.json', async () => {
    const doc = (await report('/openapi.json')).json()
    const paths = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>)
      .filter(([, operations]) => Object.values(operations).some((op) => op.tags?.includes('reports')))
      .map(([path]) => path)
    expect(paths).toEqual([
      '/v1/reports',
      '/v1/reports/market-snapshot',
      '/v1/reports/price-changes',
      '/v1/reports/funding',
      '/v1/reports/changes',
      '/v1/reports/{name}',
      '/v1/reports/jobs/{jobId}',
      '/v1/reports/jobs/{jobId}/result',
    ])
    const csv = doc.paths['/v1/reports/price-changes'].get.responses['200'].content
    expect(Object.keys(csv)).toEqual(['application/json', 'text/csv', 'text/markdown'])
  })
})

describe('events stored under an older schema version', () => {
  it('are upcast before a report folds them', async () => {
    // As if price.changed had once kept its amount and currency in one `price` field.
    const v2 = {
      ...priceChanged,
      schemaVersion: 2,
      upcasters: {
        1: ({ price, ...rest }: Record<string, unknown>) => {
          const [amount, currency] = String(price).split(' ')
          return { ...rest, amount, currency }
        },
      },
    }
    const database = await createTestDatabase()
    try {
      const old = {
        idx: 0,
        id: crypto.randomUUID(),
        type: 'price.changed',
        schema_version: 1,
        subject: 'legacy-model',
        occurred_at: '2023-03',
        precision: 'month',
        effective_from: '2023-03-01T00:00:00Z',
        data: { component: 'input', price: '0.02 CNY', unit: '1K tokens' },
        source: null,
        expected_version: null,
      }
      await sql`select * from mt_append_events(${JSON.stringify([old])}::jsonb)`.execute(database.handle.db)
      const upcasting = new Catalogue(catalogue.types.map((t) => (t.type === 'price.changed' ? v2 : t)))
      const now = Date.now()
      const output = await replayReport(database.handle.db, upcasting, priceChanges, {
        asOf: now,
        knownAt: now,
        from: null,
        to: null,
      })
      expect(output.changes).toEqual([
        expect.objectContaining({ product: 'legacy-model', newAmount: '0.02', currency: 'CNY' }),
      ])
    } finally {
      await database.drop()
    }
  })
})
