import { Writable } from 'node:stream'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { evolveFunding, fundingOf, initialFunding } from '../../reports/funding.js'
import type { MarketEntry } from '../../reports/market-entry.js'
import { evolveSnapshot, initialSnapshot, snapshotOf } from '../../reports/market-snapshot.js'
import { evolvePriceChanges, initialPriceChanges, priceChangesOf } from '../../reports/price-changes.js'
import { fromUnits, percentChange, toUnits } from '../../src/catalogue/decimal.js'
import { progressDisplay } from '../../src/cli/progress.js'
import { toCsv, toMarkdown } from '../../src/reports/formats.js'
import type { LogEntry, ReportTable } from '../../src/reports/report.js'

/** The reports' folds, formats and arithmetic, without a database. */

let position = 0
const at = (date: string) => Date.parse(`${date}T00:00:00.000Z`)
/** An event as the replay hands it to a fold: the catalogue validated it when it was written. */
function entry(type: string, subject: string, date: string, data: object): MarketEntry {
  position++
  const event: LogEntry = {
    position,
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    type,
    subject,
    occurredAt: date,
    precision: 'day',
    effectiveAt: at(date),
    data,
  }
  return event as MarketEntry
}
const price = (product: string, date: string, amount: string, extra: object = {}) =>
  entry('price.changed', product, date, {
    component: 'input',
    amount,
    currency: 'CNY',
    unit: '1K tokens',
    ...extra,
  })

describe('exact decimals', () => {
  it('sums amounts without binary-float error', () => {
    expect(fromUnits(toUnits('0.1') + toUnits('0.2'))).toBe('0.3')
    expect(fromUnits(toUnits('300000000') + toUnits('0.000000000000000001'))).toBe(
      '300000000.000000000000000001',
    )
  })

  it.each([
    ['0.02', '0.0005', '-97.5'],
    ['0.008', '0', '-100'],
    ['3', '1', '-66.67'],
    ['1', '1.00005', '0.01'],
    ['1', '0.99995', '-0.01'],
    ['2', '2', '0'],
    ['0.5', '1.5', '200'],
  ])('%s → %s is a change of %s %%, rounded half away from zero', (from, to, percent) => {
    expect(percentChange(from, to)).toBe(percent)
  })

  it('gives no percentage for a change from free', () => {
    expect(percentChange('0', '0.5')).toBeNull()
  })
})

describe('the market snapshot fold', () => {
  const snapshotAt = (asOf: string, events: MarketEntry[]) =>
    snapshotOf(events.reduce(evolveSnapshot, initialSnapshot(at(asOf))))

  it('takes the latest price in effect, a later change recorded earlier losing to a later valid time', () => {
    const snapshot = snapshotAt('2024-06-30', [
      price('m', '2024-05-01', '2'),
      price('m', '2024-03-01', '3'),
      price('m', '2024-07-01', '1'),
    ])
    expect(snapshot.products[0]?.prices).toEqual([expect.objectContaining({ amount: '2' })])
  })

  it("answers a later change's previousAmount, since an unknown date, before any change in effect", () => {
    const snapshot = snapshotAt('2024-05-10', [
      price('m', '2024-05-21', '0.0005', { previousAmount: '0.02' }),
    ])
    expect(snapshot.products[0]?.prices).toEqual([
      expect.objectContaining({ amount: '0.02', effectiveFrom: null }),
    ])
  })

  it('counts a member from the first join after its last departure', () => {
    const events = [
      entry('alliance.formed', 'a', '2024-01-01', { name: 'A', conveners: ['x'], members: ['m'] }),
      entry('alliance.member_left', 'a', '2024-02-01', { member: 'm' }),
      entry('alliance.member_joined', 'a', '2024-04-01', { member: 'm' }),
      entry('alliance.member_joined', 'a', '2024-03-01', { member: 'm' }),
    ]
    expect(snapshotAt('2024-01-31', events).alliances[0]?.members).toEqual([
      { member: 'm', name: 'm', since: '2024-01-01T00:00:00.000Z' },
    ])
    expect(snapshotAt('2024-02-15', events).alliances[0]?.members).toEqual([])
    expect(snapshotAt('2024-06-30', events).alliances[0]?.members).toEqual([
      { member: 'm', name: 'm', since: '2024-03-01T00:00:00.000Z' },
    ])
  })

  it('knows no alliance before its formation takes effect', () => {
    const events = [
      entry('alliance.formed', 'a', '2024-05-15', { name: 'A', conveners: ['x'], members: ['m'] }),
      entry('alliance.member_joined', 'a', '2024-01-01', { member: 'n' }),
    ]
    expect(snapshotAt('2024-04-30', events).alliances).toEqual([])
    expect(snapshotAt('2024-05-31', events).alliances[0]?.members.map((m) => m.member)).toEqual(['m', 'n'])
  })

  it('totals funding per currency and keeps the valuation of the latest round that gives one', () => {
    const round = (date: string, data: object) =>
      entry('funding.round_closed', 'c', date, { round: date, investors: [], ...data })
    const snapshot = snapshotAt('2024-12-31', [
      entry('entity.registered', 'c', '2020', { kind: 'company', name: 'C Corp' }),
      round('2023-01-01', { amount: { value: '100.5', currency: 'USD' }, valuation: v('1000') }),
      round('2024-01-01', { amount: { value: '0.5', currency: 'USD' }, valuation: v('2000') }),
      round('2023-06-01', { amount: { value: '7', currency: 'CNY' } }),
      round('2025-01-01', { amount: { value: '9', currency: 'USD' }, valuation: v('9000') }),
    ])
    expect(snapshot.companies).toEqual([
      expect.objectContaining({
        company: 'c',
        name: 'C Corp',
        fundingRounds: 3,
        fundingTotals: [
          { currency: 'CNY', amount: '7' },
          { currency: 'USD', amount: '101' },
        ],
        latestValuation: expect.objectContaining({ value: '2000', round: '2024-01-01' }),
      }),
    ])
  })

  it('keeps the latest figure per entity, metric and period', () => {
    const metric = (date: string, value: string, forPeriod: string) =>
      entry('metric.reported', 'q', date, { metric: 'users', value, forPeriod })
    const snapshot = snapshotAt('2024-06-30', [
      metric('2024-05-01', '10', '2024'),
      metric('2024-06-01', '20', '2024'),
      metric('2024-04-01', '5', '2023'),
      metric('2024-07-01', '99', '2024'),
    ])
    expect(snapshot.metrics.map((m) => [m.forPeriod, m.value])).toEqual([
      ['2023', '5'],
      ['2024', '20'],
    ])
  })
})

function v(value: string) {
  return { value, currency: 'USD', qualifier: 'exact' }
}

describe('the price-changes fold', () => {
  const changes = (from: string, to: string, events: MarketEntry[]) =>
    priceChangesOf(events.reduce(evolvePriceChanges, initialPriceChanges(at(from), at(to)))).changes

  it('takes the old amount from the change before, even one before the window', () => {
    const rows = changes('2024-05-01', '2024-05-31', [
      price('m', '2024-05-20', '0.5'),
      price('m', '2024-01-01', '1'),
      price('m', '2024-05-10', '0.8'),
    ])
    expect(rows.map((r) => [r.oldAmount, r.newAmount, r.percentChange, r.oldAmountFrom])).toEqual([
      ['1', '0.8', '-20', 'earlier change'],
      ['0.8', '0.5', '-37.5', 'earlier change'],
    ])
  })

  it("prefers a change's own previousAmount, and gives a change from free no percentage", () => {
    const rows = changes('2024-01-01', '2024-12-31', [
      price('m', '2024-02-01', '0'),
      price('m', '2024-03-01', '1'),
      price('m', '2024-04-01', '2', { previousAmount: '1.5' }),
    ])
    expect(rows.map((r) => [r.oldAmount, r.percentChange])).toEqual([
      [null, null],
      ['0', null],
      ['1.5', '33.33'],
    ])
  })

  it('does not compare prices in different currencies', () => {
    const rows = changes('2024-01-01', '2024-12-31', [
      price('m', '2024-02-01', '1'),
      entry('price.changed', 'm', '2024-03-01', {
        component: 'input',
        amount: '2',
        currency: 'USD',
        unit: '1K tokens',
      }),
    ])
    expect(rows[1]).toMatchObject({ oldAmount: null, percentChange: null })
  })
})

describe('the funding fold', () => {
  it('totals each investor over the rounds it took part in', () => {
    const round = (company: string, value: string, investors: string[]) =>
      entry('funding.round_closed', company, '2024-03-01', {
        round: 'A',
        amount: { value, currency: 'USD' },
        investors,
      })
    const events = [
      entry('entity.registered', 'fund', '2020', { kind: 'investor', name: 'The Fund' }),
      round('a', '100', ['fund', 'angel']),
      round('b', '50', ['fund']),
      entry('funding.round_closed', 'c', '2024-03-02', { round: 'seed', investors: ['angel'] }),
    ]
    const report = fundingOf(events.reduce(evolveFunding, initialFunding(null, null)))
    expect(report.totalsByInvestor).toEqual([
      { investor: 'angel', name: 'angel', rounds: 2, totals: [{ currency: 'USD', amount: '100' }] },
      { investor: 'fund', name: 'The Fund', rounds: 2, totals: [{ currency: 'USD', amount: '150' }] },
    ])
    expect(report.totalsByCurrency).toEqual([{ currency: 'USD', amount: '150', rounds: 2 }])
  })
})

describe('report formats', () => {
  const table: ReportTable = {
    name: 'notes',
    title: 'Notes',
    columns: [
      { key: 'name', title: 'Name' },
      { key: 'text', title: 'Text' },
    ],
    rows: [
      { name: 'comma', text: 'a, b' },
      { name: 'quote', text: 'say "hi"' },
      { name: 'lines', text: 'one\r\ntwo' },
      { name: 'pipe', text: 'a | b' },
      { name: 'none', text: null },
    ],
  }

  it('quotes CSV fields per RFC 4180, so a parser reads every value back', () => {
    const csv = toCsv([table])
    expect(parse(csv, { columns: true })).toEqual([
      { name: 'comma', text: 'a, b' },
      { name: 'quote', text: 'say "hi"' },
      { name: 'lines', text: 'one\r\ntwo' },
      { name: 'pipe', text: 'a | b' },
      { name: 'none', text: '' },
    ])
    expect(csv.split('\r\n')[0]).toBe('name,text')
  })

  it('escapes pipes and line breaks in Markdown cells', () => {
    const markdown = toMarkdown('T', 'S', [table])
    expect(markdown).toContain('| pipe | a \\| b |')
    expect(markdown).toContain('| lines | one<br>two |')
    expect(markdown).toContain('| none |  |')
  })
})

describe('replay progress on standard error', () => {
  const capture = (isTTY: boolean) => {
    let text = ''
    const stream = new Writable({
      write(chunk, _encoding, done) {
        text += chunk
        done()
      },
    }) as unknown as NodeJS.WriteStream
    Object.assign(stream, { isTTY, columns: 100 })
    return { stream, text: () => text }
  }

  it('draws a bar on a terminal', () => {
    const out = capture(true)
    const display = progressDisplay('market-snapshot', out.stream)
    display.update({ replayed: 0, total: 200 })
    display.update({ replayed: 200, total: 200 })
    display.stop()
    expect(out.text()).toContain('market-snapshot [')
    expect(out.text()).toContain('200/200 events')
  })

  it('writes plain lines elsewhere, the first and the last at least', () => {
    const out = capture(false)
    const display = progressDisplay('funding', out.stream)
    display.update({ replayed: 0, total: 3 })
    display.update({ replayed: 1, total: 3 })
    display.update({ replayed: 3, total: 3 })
    display.stop()
    expect(out.text().split('\n')).toEqual([
      'funding: 0 of 3 events replayed (0%)',
      'funding: 3 of 3 events replayed (100%)',
      expect.stringMatching(/^funding: done, 3 events in \d+\.\d s$/),
      '',
    ])
  })
})
