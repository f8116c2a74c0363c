/**
 * Dates as precise as the facts, and amounts as the decimal strings they are. No date is parsed
 * with `new Date(string)` into local time: market dates are read field by field.
 */

const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

const marketDate =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2}))?)?)?$/

/** `2024` → "2024", `2024-05` → "May 2024", `2024-05-21` → "21 May 2024", instants with their offset. */
export function formatMarketDate(value) {
  const m = marketDate.exec(value ?? '')
  if (!m) return value ?? ''
  const [, year, month, day, hour, minute, , offset] = m
  if (!month) return year
  const monthYear = `${monthNames[Number(month) - 1]} ${year}`
  if (!day) return monthYear
  const date = `${Number(day)} ${monthYear}`
  if (!hour) return date
  return `${date}, ${hour}:${minute} ${offset === 'Z' ? 'UTC' : `UTC${offset}`}`
}

/** "the end of 30 June 2024" for a date (a date means its end), the instant itself for an instant. */
export function describePoint(value) {
  return value.includes('T') ? formatMarketDate(value) : `the end of ${formatMarketDate(value)}`
}

/** "the month", "the day"…: what a date of this precision means, for titles and screen readers. */
export function precisionWords(precision) {
  return (
    { year: 'dated to the year', month: 'dated to the month', day: 'dated to the day' }[precision] ??
    'dated to the instant'
  )
}

/**
 * An instant from a read model (`since`, `effectiveFrom`) in the market time zone, no more precise
 * than it can be: the first instant of a year reads "2024", of a month "May 2024", a midnight
 * "21 May 2024". A fact dated to 1 May also reads "May 2024" — coarser, never falsely precise.
 */
export function formatInstant(iso, timeZone) {
  if (!iso) return ''
  const instant = Date.parse(iso)
  if (Number.isNaN(instant)) return iso
  const parts = partsOf(instant, timeZone)
  const midnight =
    parts.hour === '00' && parts.minute === '00' && parts.second === '00' && instant % 1000 === 0
  const month = monthNames[Number(parts.month) - 1]
  if (midnight && parts.day === '01' && parts.month === '01') return parts.year
  if (midnight && parts.day === '01') return `${month} ${parts.year}`
  const date = `${Number(parts.day)} ${month} ${parts.year}`
  return midnight ? date : `${date}, ${parts.hour}:${parts.minute}`
}

/** Calendar fields of an instant in a time zone. Formatters are costly to make: one per zone. */
const formatters = new Map()
function partsOf(instant, timeZone) {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, formatter)
  }
  return Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]))
}

/** The month of an instant in the market time zone: `2024-05`. */
export function monthOf(iso, timeZone) {
  const parts = partsOf(Date.parse(iso), timeZone)
  return `${parts.year}-${parts.month}`
}

/** `2024-05` → its index in months since year 0, and back; for the as-of slider. */
export function monthIndex(month) {
  const [year, m] = month.split('-').map(Number)
  return year * 12 + (m - 1)
}

export function monthAt(index) {
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The last day of `2024-02`: `2024-02-29`. */
export function lastDayOf(month) {
  const [year, m] = month.split('-').map(Number)
  const day = new Date(Date.UTC(year, m, 0)).getUTCDate()
  return `${month}-${String(day).padStart(2, '0')}`
}

/** The month a market date falls in (`2024` → `2024-12`: a date means its end). */
export function monthOfMarketDate(value) {
  const m = marketDate.exec(value ?? '')
  if (!m) return undefined
  return `${m[1]}-${m[2] ?? '12'}`
}

/** "300000000" → "300,000,000"; decimals keep every digit they have. */
export function groupDigits(decimal) {
  const [whole, fraction] = String(decimal).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return fraction === undefined ? grouped : `${grouped}.${fraction}`
}

export function isFree(amount) {
  return /^0(\.0+)?$/.test(amount)
}

/** "free", or "0.0005 CNY / 1K tokens". */
export function formatPrice(amount, currency, unit) {
  return isFree(amount) ? 'free' : `${groupDigits(amount)} ${currency} / ${unit}`
}

/** "USD 300,000,000", "over USD 1,000,000,000". */
export function formatMoney({ value, currency, qualifier }) {
  const words = { over: 'over ', about: 'about ' }[qualifier] ?? ''
  return `${words}${currency} ${groupDigits(value)}`
}

/** Sums decimal strings exactly (BigInt on a common scale): never a binary float. */
export function sumDecimals(values) {
  const scale = Math.max(0, ...values.map((v) => (v.split('.')[1] ?? '').length))
  const total = values.reduce((sum, v) => {
    const [whole, fraction = ''] = v.split('.')
    return sum + BigInt(whole + fraction.padEnd(scale, '0'))
  }, 0n)
  if (scale === 0) return total.toString()
  const digits = total.toString().padStart(scale + 1, '0')
  const fraction = digits.slice(-scale).replace(/0+$/, '')
  return fraction ? `${digits.slice(0, -scale)}.${fraction}` : digits.slice(0, -scale)
}
