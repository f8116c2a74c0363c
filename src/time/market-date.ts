import { DateTime } from 'luxon'
import { InvalidDate } from '../errors.js'

/** How much of a date the writer gave: a year, a month, a day or an exact instant. */
export type Precision = 'year' | 'month' | 'day' | 'instant'

export interface MarketDate {
  /** The text as given. */
  readonly given: string
  readonly precision: Precision
  /** The first instant of the period (the instant itself for `instant`). */
  readonly start: DateTime
  /** The last millisecond of the period (the instant itself for `instant`). */
  readonly end: DateTime
}

const forms: ReadonlyArray<{ precision: Precision; pattern: RegExp; format?: string }> = [
  { precision: 'year', pattern: /^\d{4}$/, format: 'yyyy' },
  { precision: 'month', pattern: /^\d{4}-\d{2}$/, format: 'yyyy-MM' },
  { precision: 'day', pattern: /^\d{4}-\d{2}-\d{2}$/, format: 'yyyy-MM-dd' },
  {
    precision: 'instant',
    pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
  },
]

export const marketDateDescription =
  'YYYY, YYYY-MM, YYYY-MM-DD, or an ISO-8601 date-time with offset (2024-05-21T10:00:00+08:00), in the years 0001–9999 (UTC)'

/**
 * Reading a date with luxon costs tens of microseconds, and the same few dates come again and
 * again (every as-of request names one, every append its occurredAt): each reading is kept, in a
 * table bounded by `MEMO_SIZE` that starts afresh when full. Both readings depend on their text
 * (and zone) alone, and what they answer is immutable.
 */
const MEMO_SIZE = 1024

function remembered<T>(memo: Map<string, T>, key: string, read: () => T): T {
  const known = memo.get(key)
  if (known !== undefined || memo.has(key)) return known as T
  const value = read()
  if (memo.size >= MEMO_SIZE) memo.clear()
  memo.set(key, value)
  return value
}

const problems = new Map<string, string | undefined>()
const readings = new Map<string, MarketDate | undefined>()

/** The reason `text` is not a market date, or undefined when it is one. */
export function marketDateProblem(text: string): string | undefined {
  return remembered(problems, text, () => problemOf(text))
}

function problemOf(text: string): string | undefined {
  const form = forms.find((f) => f.pattern.test(text))
  if (!form) return `expected ${marketDateDescription}`
  const [year, month, day] = text.slice(0, 10).split('-').map(Number)
  if (month !== undefined && (month < 1 || month > 12))
    return `no month ${String(month).padStart(2, '0')}: months run 01–12`
  if (year !== undefined && month !== undefined && day !== undefined) {
    const days = DateTime.utc(year, month).daysInMonth ?? 31
    if (day < 1 || day > days) return `no such day: ${text.slice(0, 7)} has days 01–${days}`
  }
  const parsed = form.format
    ? DateTime.fromFormat(text, form.format, { zone: 'UTC' })
    : DateTime.fromISO(text, { zone: 'UTC' })
  if (!parsed.isValid)
    return `not a valid ${form.precision === 'instant' ? 'date-time' : 'date'}: ${parsed.invalidExplanation ?? parsed.invalidReason}`
  if (!withinStorableYears(parsed)) return storableYears
  return undefined
}

/**
 * The instants a market date stands for must lie in the years 0001–9999 (UTC): PostgreSQL reads
 * an ISO instant only with a four-digit year, and the service writes and answers instants as ISO
 * text. An instant's offset, or the market time zone, can carry a date at either end past them.
 */
const storableYears = 'must lie within the years 0001–9999 (UTC)'
const withinStorableYears = (instant: DateTime): boolean =>
  instant.toUTC().year >= 1 && instant.toUTC().year <= 9999

/**
 * Reads a date as a period in the market's time zone. Dates without a time
 * start at midnight in `zone`; instants keep the offset they were given.
 * Returns undefined when the text is not a valid market date, or its period reaches past the
 * years 0001–9999 (UTC).
 */
export function parseMarketDate(text: string, zone: string): MarketDate | undefined {
  return remembered(readings, `${zone} ${text}`, () => readMarketDate(text, zone))
}

function readMarketDate(text: string, zone: string): MarketDate | undefined {
  const form = forms.find((f) => f.pattern.test(text))
  if (!form) return undefined
  if (!form.format) {
    const instant = DateTime.fromISO(text, { setZone: true })
    return instant.isValid && withinStorableYears(instant)
      ? { given: text, precision: 'instant', start: instant, end: instant }
      : undefined
  }
  const [year, month = 1, day = 1] = text.split('-').map(Number)
  const start = DateTime.fromObject({ year, month, day }, { zone })
  if (!start.isValid || start.day !== day || start.month !== month) return undefined
  const unit = form.precision as 'year' | 'month' | 'day'
  const end = start.endOf(unit)
  if (!withinStorableYears(start) || !withinStorableYears(end)) return undefined
  return { given: text, precision: form.precision, start, end }
}

/** `text` read as a market date in `zone`; an InvalidDate naming the field at `path` when it cannot be. */
export function marketDateAt(path: string, text: string, zone: string): MarketDate {
  const date = parseMarketDate(text, zone)
  if (!date) throw new InvalidDate(path, text, marketDateProblem(text) ?? `${storableYears} in ${zone}`)
  return date
}
