import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toCsv, toMarkdown } from '../../src/reports/formats.js'
import type { ReportTable } from '../../src/reports/report.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'

/**
 * A report is a file someone opens: a Markdown document pasted into a page, a CSV opened in a
 * spreadsheet. Text the writers gave (names, units, metric values) must stay text there.
 */
const table = (rows: Array<Record<string, string | number | null>>): ReportTable => ({
  name: 'entities',
  title: 'Entities',
  columns: [
    { key: 'name', title: 'Name' },
    { key: 'value', title: 'Value', align: 'right' },
  ],
  rows,
})

/** The one data row of a document's one table, as the Markdown source has it. */
const markdownRow = (rows: Array<Record<string, string | number | null>>) =>
  toMarkdown('Title', 'Subtitle', [table(rows)])
    .split('\n')
    .find((line) => line.startsWith('| ') && !line.includes('Name') && !line.includes('---')) ?? ''

describe('a Markdown report', () => {
  it('shows HTML in a cell as text, not as markup', () => {
    const row = markdownRow([{ name: '<img src=x onerror=alert(1)><script>alert(2)</script>', value: 1 }])
    expect(row).not.toMatch(/<img|<script/)
    expect(row).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;')
  })

  it('makes no link of a javascript: link, an autolink or an image in a cell', () => {
    const row = markdownRow([
      { name: '[click](javascript:alert(1)) <javascript:alert(2)> ![x](javascript:alert(3))', value: 1 },
    ])
    expect(row).not.toMatch(/(?<!\\)\[click(?<!\\)\]/)
    expect(row).toContain('\\[click\\](javascript:alert(1))')
    expect(row).toContain('&lt;javascript:alert(2)&gt;')
    expect(row).toContain('!\\[x\\]')
  })

  it('keeps emphasis, code and entity characters as the characters they are', () => {
    const row = markdownRow([{ name: '*bold* _it_ `code` ~~gone~~ &amp; a\\b', value: 1 }])
    expect(row).toContain('\\*bold\\* \\_it\\_ \\`code\\` \\~\\~gone\\~\\~ &amp;amp; a\\\\b')
  })

  it('breaks a cell with CR, CRLF, LF or a Unicode line separator inside its row', () => {
    const document = toMarkdown('Title', 'Subtitle', [
      table([{ name: 'a\rb\r\nc\nd\u2028e\u2029f\u0085g', value: 1 }]),
    ])
    expect(document).not.toMatch(/\r|\u2028|\u2029|\u0085/)
    expect(document).toContain('| a<br>b<br>c<br>d<br>e<br>f<br>g | 1 |')
  })

  it('keeps a pipe inside its cell', () => {
    expect(markdownRow([{ name: 'a | b', value: 1 }])).toBe('| a \\| b | 1 |')
  })

  it('leaves amounts, dates and slugs as they read', () => {
    expect(markdownRow([{ name: 'qwen-long 2024-05-21T00:00:00.000Z', value: '-0.0005' }])).toBe(
      '| qwen-long 2024-05-21T00:00:00.000Z | -0.0005 |',
    )
  })
})

const csvCells = (rows: Array<Record<string, string | number | null>>) =>
  (parse(toCsv([table(rows)]), { columns: true, relax_column_count: false }) as Record<string, string>[])[0]

describe('a CSV report', () => {
  it.each([
    ['=HYPERLINK("http://127.0.0.1/","x")'],
    ['+1+cmd|" /C calc"!A0'],
    ['-2+3+cmd|" /C calc"!A0'],
    ['@SUM(1+1)*cmd|" /C calc"!A0'],
    ['\t=1+1'],
    ['\r=1+1'],
  ])('starts a cell that a spreadsheet would run as a formula (%j) with an apostrophe', (text) => {
    expect(csvCells([{ name: text, value: text }])).toEqual({ name: `'${text}`, value: `'${text}` })
  })

  it('leaves negative numbers as numbers, in any column', () => {
    expect(csvCells([{ name: '-97.5', value: -1.5 }])).toEqual({ name: '-97.5', value: '-1.5' })
    expect(csvCells([{ name: '-0.0005', value: '-300000000' }])).toEqual({
      name: '-0.0005',
      value: '-300000000',
    })
  })

  it('leaves text that only contains a formula character further on as it is', () => {
    expect(csvCells([{ name: 'a=b', value: 'x-1' }])).toEqual({ name: 'a=b', value: 'x-1' })
  })
})

describe('reports over hostile names, through the API', () => {
  let t: TestApp
  const name = '=HYPERLINK("http://127.0.0.1/") <b>bold</b> [x](javascript:alert(1))\rend'

  beforeAll(async () => {
    t = await startTestApp()
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          registration('hostile-co', name),
          {
            type: 'metric.reported',
            subject: 'hostile-co',
            occurredAt: '2024-05',
            data: { metric: 'users', value: '-1.5', unit: '-1+1|cmd' },
          },
        ],
      },
    })
    expect(res.statusCode, res.body).toBe(201)
  })
  afterAll(() => t.close())

  it('the snapshot in CSV starts the hostile name and unit with an apostrophe, not the negative value', async () => {
    const res = await t.inject('/v1/reports/market-snapshot?format=csv')
    expect(res.statusCode, res.body).toBe(200)
    const rows = parse(res.body, { columns: true }) as Record<string, string>[]
    const company = rows.find((r) => r.section === 'companies' && r.company === 'hostile-co')
    expect(company?.name).toBe(`'${name}`)
    const metric = rows.find((r) => r.section === 'metrics' && r.entity === 'hostile-co')
    expect(metric).toMatchObject({ value: '-1.5', unit: "'-1+1|cmd" })
  })

  it('the snapshot in Markdown shows the hostile name as text on one line', async () => {
    const res = await t.inject('/v1/reports/market-snapshot?format=markdown')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.body).not.toMatch(/<b>|\r|(?<!\\)\]\(javascript/)
    expect(res.body).toContain('&lt;b&gt;bold&lt;/b&gt; \\[x\\](javascript:alert(1))<br>end')
  })
})
