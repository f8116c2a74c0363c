import { InvalidDate, InvalidInput } from '../errors.js'
import { marketDateProblem, parseMarketDate } from '../time/market-date.js'
import type { Report, ReportParameters } from './report.js'

/** A report's parameters as given: market dates as text (`2024-05`, `2024-05-31`, an instant). */
export interface GivenParameters {
  readonly asOf?: string
  readonly knownAt?: string
  readonly from?: string
  readonly to?: string
  readonly reportedBy?: string
  /** The two points of a comparison (`between`). */
  readonly fromAsOf?: string
  readonly toAsOf?: string
  readonly fromKnownAt?: string
  readonly toKnownAt?: string
  /** A comparison's scope: one of them at most, a slug. */
  readonly company?: string
  readonly product?: string
  readonly alliance?: string
}

const scopeNames = ['company', 'product', 'alliance'] as const
type ScopeName = (typeof scopeNames)[number]
type DateName = Exclude<keyof GivenParameters, ScopeName>

const parametersOf = {
  'as-of': ['asOf', 'knownAt', 'reportedBy'],
  window: ['from', 'to', 'knownAt', 'reportedBy'],
  between: ['fromAsOf', 'toAsOf', 'fromKnownAt', 'toKnownAt', 'reportedBy', 'company', 'product', 'alliance'],
} as const

/** The parameters `report` accepts, in the order they are documented. */
export function parameterNames(report: Report): readonly (keyof GivenParameters)[] {
  return parametersOf[report.period]
}

/**
 * Reads the given dates in the market time zone — `from` from the start of its period, the
 * others to its end — and checks that they fit the report. `now` stands in for a date not given.
 */
export function resolveParameters(
  report: Report,
  given: GivenParameters,
  marketTz: string,
  now: number,
): ReportParameters {
  const accepted: readonly string[] = parameterNames(report)
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && !accepted.includes(name)) {
      throw new InvalidInput(`${report.name} takes ${accepted.join(', ')}; not ${name}`, [
        { path: `/${name}`, message: `not a parameter of ${report.name}` },
      ])
    }
  }
  if (report.period === 'between') return comparisonParameters(report, given, marketTz, now)
  const from = instantOf(given, 'from', marketTz)
  const to = instantOf(given, 'to', marketTz)
  if (from !== null && to !== null && from > to) {
    throw new InvalidInput(`from (${given.from}) is after to (${given.to})`, [
      { path: '/from', message: `must not be after to (${given.to})` },
    ])
  }
  const reportedBy = instantOf(given, 'reportedBy', marketTz)
  return {
    asOf: instantOf(given, 'asOf', marketTz) ?? now,
    knownAt: instantOf(given, 'knownAt', marketTz) ?? now,
    from,
    to,
    ...(reportedBy === null ? {} : { reportedBy, marketTz }),
  }
}

/**
 * Two points as the diff reads them: fromAsOf is required, every other date defaults to `now`;
 * the log is read up to the later knownAt. At most one scope.
 */
function comparisonParameters(
  report: Report,
  given: GivenParameters,
  marketTz: string,
  now: number,
): ReportParameters {
  const fromAsOf = instantOf(given, 'fromAsOf', marketTz)
  if (fromAsOf === null) {
    throw new InvalidInput(`${report.name} compares two points: fromAsOf is required`, [
      { path: '/fromAsOf', message: 'required' },
    ])
  }
  const fromKnownAt = instantOf(given, 'fromKnownAt', marketTz) ?? now
  const toKnownAt = instantOf(given, 'toKnownAt', marketTz) ?? now
  const reportedBy = instantOf(given, 'reportedBy', marketTz)
  return {
    asOf: instantOf(given, 'toAsOf', marketTz) ?? now,
    knownAt: Math.max(fromKnownAt, toKnownAt),
    from: null,
    to: null,
    fromAsOf,
    fromKnownAt,
    toKnownAt,
    scope: scopeOf(given),
    ...(reportedBy === null ? {} : { reportedBy, marketTz }),
  }
}

function scopeOf(given: GivenParameters): NonNullable<ReportParameters['scope']> {
  const asked = scopeNames.filter((name) => given[name] !== undefined)
  if (asked.length > 1) {
    throw new InvalidInput(
      `a comparison is of the whole market or of one company, product or alliance; not ${asked.join(' and ')}`,
      asked.slice(1).map((name) => ({ path: `/${name}`, message: `not with ${asked[0]}` })),
    )
  }
  const [name] = asked
  const slug = name === undefined ? undefined : given[name]
  return name === undefined || slug === undefined ? {} : { [name]: slug }
}

function instantOf(given: GivenParameters, name: DateName, marketTz: string): number | null {
  const text = given[name]
  if (text === undefined) return null
  const date = parseMarketDate(text, marketTz)
  if (!date) throw new InvalidDate(`/${name}`, text, marketDateProblem(text) ?? 'not a valid market date')
  return (name === 'from' ? date.start : date.end).toMillis()
}

/** The parameters as the report's answer states them: instants, null for an open end. */
export function describeParameters(
  report: Report,
  parameters: ReportParameters,
): Record<string, string | null> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
  const reportedBy: Record<string, string | null> =
    parameters.reportedBy == null ? {} : { reportedBy: iso(parameters.reportedBy) }
  if (report.period === 'between') {
    return {
      fromAsOf: iso(parameters.fromAsOf ?? null),
      toAsOf: iso(parameters.asOf),
      fromKnownAt: iso(parameters.fromKnownAt ?? null),
      toKnownAt: iso(parameters.toKnownAt ?? null),
      ...reportedBy,
    }
  }
  return report.period === 'as-of'
    ? { asOf: iso(parameters.asOf), knownAt: iso(parameters.knownAt), ...reportedBy }
    : { from: iso(parameters.from), to: iso(parameters.to), knownAt: iso(parameters.knownAt), ...reportedBy }
}

/** A file name for a report and the parameters given: `price-changes-2024-05-01-to-2024-05-31.csv`. */
export function reportFileName(report: Report, given: GivenParameters, extension: string): string {
  const parts = [report.name]
  if (report.period === 'as-of' && given.asOf) parts.push(given.asOf)
  if (report.period === 'window' && (given.from || given.to)) {
    parts.push(given.from ?? 'start', 'to', given.to ?? 'now')
  }
  if (report.period === 'between') {
    parts.push(given.fromAsOf ?? 'start', 'to', given.toAsOf ?? 'now')
    if (given.fromKnownAt || given.toKnownAt)
      parts.push('known', given.fromKnownAt ?? 'now', 'to', given.toKnownAt ?? 'now')
    const scope = given.company ?? given.product ?? given.alliance
    if (scope) parts.push(scope)
  }
  if (given.knownAt) parts.push('known', given.knownAt)
  if (given.reportedBy) parts.push('reported', given.reportedBy)
  return `${parts.map((part) => part.replace(/[^A-Za-z0-9.-]+/g, '-')).join('-')}.${extension}`
}
