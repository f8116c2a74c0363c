import { DateTime } from 'luxon'

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
  'YYYY, YYYY-MM, YYYY-MM-DD, or an ISO-8601 date-time with offset (2024-05-21T10:00:00+08:00)'

/** The reason `text` is not a market date, or undefined when it is one. */
export function marketDateProblem(text: string): string | undefined {
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
    : DateTime.fromISO(text)
  if (!parsed.isValid)
    return `not a valid ${form.precision === 'instant' ? 'date-time' : 'date'}: ${parsed.invalidExplanation ?? parsed.invalidReason}`
  if (parsed.year < 1) return 'year must be 0001 or later'
  return undefined
}

/**
 * Reads a date as a period in the market's time zone. Dates without a time
 * start at midnight in `zone`; instants keep the offset they were given.
 * Returns undefined when the text is not a valid market date.
 */
export function parseMarketDate(text: string, zone: string): MarketDate | undefined {
  const form = forms.find((f) => f.pattern.test(text))
  if (!form) return undefined
  if (!form.format) {
    const instant = DateTime.fromISO(text, { setZone: true })
    return instant.isValid ? { given: text, precision: 'instant', start: instant, end: instant } : undefined
  }
  const [year, month = 1, day = 1] = text.split('-').map(Number)
  const start = DateTime.fromObject({ year, month, day }, { zone })
  if (!start.isValid || start.day !== day || start.month !== month) return undefined
  const unit = form.precision as 'year' | 'month' | 'day'
  return { given: text, precision: form.precision, start, end: start.endOf(unit) }
}
