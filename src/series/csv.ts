import { csvField } from '../reports/formats.js'
import type { SeriesValue } from './measures.js'

/**
 * A series as RFC 4180 CSV: `at,value`, or, for sums by currency, `at` and one column per currency
 * (sorted), 0 where nothing in it was raised yet.
 */
export function seriesCsv(
  points: ReadonlyArray<{ readonly at: string; readonly value: SeriesValue }>,
): string {
  const byCurrency = points.some((p) => typeof p.value === 'object' && p.value !== null)
  const currencies = byCurrency
    ? [...new Set(points.flatMap((p) => Object.keys(p.value as object)))].sort()
    : []
  const header = byCurrency ? ['at', ...currencies] : ['at', 'value']
  const lines = [header.map(csvField).join(',')]
  for (const { at, value } of points) {
    const cells =
      typeof value === 'object' && value !== null
        ? currencies.map((c) => value[c] ?? '0')
        : [value === null ? null : String(value)]
    lines.push([at, ...cells].map(csvField).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}
