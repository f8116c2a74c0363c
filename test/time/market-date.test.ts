import { describe, expect, it } from 'vitest'
import { marketDateProblem, parseMarketDate } from '../../src/time/market-date.js'

describe('market dates', () => {
  it.each([
    ['2024', 'year', '2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z'],
    ['2024-05', 'month', '2024-05-01T00:00:00.000Z', '2024-05-31T23:59:59.999Z'],
    ['2024-02-29', 'day', '2024-02-29T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
    ['2024-05-21T10:30:00+08:00', 'instant', '2024-05-21T02:30:00.000Z', '2024-05-21T02:30:00.000Z'],
    ['2024-05-21T10:30Z', 'instant', '2024-05-21T10:30:00.000Z', '2024-05-21T10:30:00.000Z'],
  ])('%s is a %s from %s to %s in UTC', (text, precision, start, end) => {
    const date = parseMarketDate(text, 'UTC')
    expect(date?.precision).toBe(precision)
    expect(date?.start.toUTC().toISO()).toBe(start)
    expect(date?.end.toUTC().toISO()).toBe(end)
  })

  it('reads dates without a time in the market time zone', () => {
    const date = parseMarketDate('2024-05', 'Asia/Shanghai')
    expect(date?.start.toUTC().toISO()).toBe('2024-04-30T16:00:00.000Z')
    expect(date?.end.toUTC().toISO()).toBe('2024-05-31T15:59:59.999Z')
  })

  it('keeps the offset an instant was given, whatever the market zone', () => {
    expect(parseMarketDate('2024-05-21T00:00:00Z', 'Asia/Shanghai')?.start.toUTC().toISO()).toBe(
      '2024-05-21T00:00:00.000Z',
    )
  })

  it.each([
    ['2024-02-30', 'no such day: 2024-02 has days 01–29'],
    ['2023-02-29', 'no such day: 2023-02 has days 01–28'],
    ['2024-13', 'no month 13: months run 01–12'],
    ['2024-00', 'no month 00: months run 01–12'],
    ['2024-04-31', 'no such day: 2024-04 has days 01–30'],
  ])('%s is impossible: %s', (text, reason) => {
    expect(marketDateProblem(text)).toBe(reason)
    expect(parseMarketDate(text, 'UTC')).toBeUndefined()
  })

  it.each([
    '2024-5-1',
    '2024-5',
    '24-05-01',
    '2024/05/01',
    '2024-05-21T10:30:00',
    '2024-05-21 10:30:00Z',
    'May 2024',
    '',
    "2024'; drop table events; --",
  ])('%j is not a market date', (text) => {
    expect(marketDateProblem(text)).toMatch(/^expected YYYY, YYYY-MM, YYYY-MM-DD/)
    expect(parseMarketDate(text, 'UTC')).toBeUndefined()
  })

  it('rejects an impossible time of day', () => {
    expect(marketDateProblem('2024-05-21T25:00:00Z')).toMatch(/^not a valid date-time/)
  })

  it('reads a date once per zone: the kept reading of one zone never answers for another', () => {
    const utc = parseMarketDate('2024-05', 'UTC')
    const shanghai = parseMarketDate('2024-05', 'Asia/Shanghai')
    expect(parseMarketDate('2024-05', 'UTC')).toBe(utc)
    expect(shanghai?.start.toUTC().toISO()).toBe('2024-04-30T16:00:00.000Z')
    expect(parseMarketDate('2024-02-30', 'UTC')).toBeUndefined()
    expect(parseMarketDate('2024-02-30', 'UTC')).toBeUndefined()
    expect(marketDateProblem('2024-02-30')).toBe(marketDateProblem('2024-02-30'))
    // Far more distinct dates than the table holds: each still read right.
    for (let day = 0; day < 3000; day++) {
      const text = new Date(Date.UTC(2000, 0, 1 + day)).toISOString().slice(0, 10)
      expect(parseMarketDate(text, 'UTC')?.start.toUTC().toISO()).toBe(`${text}T00:00:00.000Z`)
    }
  })
})
