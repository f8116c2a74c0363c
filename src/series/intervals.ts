import { DateTime } from 'luxon'
import { InvalidInput } from '../errors.js'
import { endOfDate } from '../queries/market-dates.js'

export const intervals = ['month', 'quarter', 'year'] as const
export type Interval = (typeof intervals)[number]

/** The most points one series answers: fifty years of months. */
export const maxPoints = 600

const monthsIn: Readonly<Record<Interval, number>> = { month: 1, quarter: 3, year: 12 }

/**
 * The end of every period of `interval` from the one holding `from` to the one holding `to`, in
 * `marketTz`: each the instant that `asOf` of its last month (`2024-06`) stands for, read by the
 * same code, so that a point and the as-of answer at it are asked at one instant.
 */
export function periodEnds(interval: Interval, from: Date, to: Date, marketTz: string): Date[] {
  if (from > to) {
    const message = 'is after to: a series runs forwards'
    throw new InvalidInput(`/from ${message}`, [{ path: '/from', message }])
  }
  const first = periodOf(interval, from, marketTz)
  const last = periodOf(interval, to, marketTz)
  const count = last - first + 1
  if (count > maxPoints) {
    const message = `makes ${count} points of a ${interval}; a series has at most ${maxPoints}`
    throw new InvalidInput(`/to ${message}`, [{ path: '/to', message }])
  }
  return Array.from({ length: count }, (_, i) => endOfPeriod(interval, first + i, marketTz))
}

/** The period holding `instant`, counted in periods of `interval` since the start of year 0. */
function periodOf(interval: Interval, instant: Date, marketTz: string): number {
  const local = DateTime.fromJSDate(instant, { zone: marketTz })
  return Math.floor((local.year * 12 + local.month - 1) / monthsIn[interval])
}

function endOfPeriod(interval: Interval, period: number, marketTz: string): Date {
  const lastMonth = period * monthsIn[interval] + monthsIn[interval] - 1
  const year = String(Math.floor(lastMonth / 12)).padStart(4, '0')
  const month = String((lastMonth % 12) + 1).padStart(2, '0')
  return endOfDate('asOf', `${year}-${month}`, marketTz) as Date
}
