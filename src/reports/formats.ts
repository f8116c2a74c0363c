import type { ReportOutput } from './replay.js'
import type { Cell, Report, ReportTable } from './report.js'

export const reportFormats = ['json', 'csv', 'markdown'] as const
export type ReportFormat = (typeof reportFormats)[number]

export const formatMedia: Readonly<Record<ReportFormat, { contentType: string; extension: string }>> = {
  json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
  csv: { contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv' },
  markdown: { contentType: 'text/markdown; charset=utf-8', extension: 'md' },
}

/**
 * RFC 4180: CRLF line ends, a header row, fields quoted when they hold a comma, a quote or a
 * line break, quotes doubled. A report of several tables is one table: a `section` column
 * first, then every table's columns (a column shared by name is shared), empty where a
 * table has no such column.
 */
export function toCsv(tables: readonly ReportTable[]): string {
  const only = tables.length === 1 ? tables[0] : undefined
  const keys = only
    ? only.columns.map((c) => c.key)
    : ['section', ...new Set(tables.flatMap((t) => t.columns.map((c) => c.key)))]
  const lines = [keys.map(csvField).join(',')]
  for (const table of tables) {
    for (const row of table.rows) {
      const cells = keys.map((key) => (key === 'section' && !only ? table.name : row[key]))
      lines.push(cells.map((cell) => csvField(cell ?? null)).join(','))
    }
  }
  return `${lines.join('\r\n')}\r\n`
}

export function csvField(cell: Cell): string {
  const text = cell === null ? '' : spreadsheetText(String(cell))
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or CR before one) as
 * a formula: such text gets a leading apostrophe, which spreadsheets show as text (OWASP's CSV
 * injection advice). A decimal number (`-1.5`, `-97.5`) is not text a spreadsheet runs, and stays
 * a number it can sum, in whatever column it stands.
 */
function spreadsheetText(text: string): string {
  if (!/^[=+\-@\t\r]/.test(text) || /^-?[0-9]+(\.[0-9]+)?$/.test(text)) return text
  return `'${text}`
}

/**
 * A Markdown document a person can paste: a title, a line saying what was replayed, and one
 * GitHub-flavoured table per section. Empty cells stand for "not known".
 */
export function toMarkdown(title: string, subtitle: string, tables: readonly ReportTable[]): string {
  const parts = [`# ${markdownText(title)}`, markdownText(subtitle)]
  for (const table of tables) {
    parts.push(`## ${markdownText(table.title)}`)
    if (table.rows.length === 0) {
      parts.push('_None._')
      continue
    }
    const header = `| ${table.columns.map((c) => markdownCell(c.title)).join(' | ')} |`
    const rule = `| ${table.columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`
    const rows = table.rows.map(
      (row) => `| ${table.columns.map((c) => markdownCell(row[c.key] ?? null)).join(' | ')} |`,
    )
    parts.push([header, rule, ...rows].join('\n'))
  }
  return `${parts.join('\n\n')}\n`
}

function markdownCell(cell: Cell): string {
  return cell === null ? '' : markdownText(String(cell))
}

const htmlEntities: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' }

/**
 * Text as text, wherever the document is rendered: `&`, `<` and `>` as entities (no HTML, no
 * `<scheme:…>` autolink), the characters of emphasis, code, links and tables backslash-escaped
 * (no `[…](javascript:…)` link or image), and every kind of line break (CR, CRLF, LF, NEL, the
 * Unicode separators) a `<br>` that keeps a cell inside its row.
 */
function markdownText(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => htmlEntities[c] ?? c)
    .replace(/[\\`*_[\]~|]/g, '\\$&')
    .replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, '<br>')
}

/** A replayed report in one of its formats. */
export function renderReport(report: Report, output: ReportOutput, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(output, null, 2)}\n`
  const tables = report.tables(output)
  return format === 'csv' ? toCsv(tables) : toMarkdown(report.title, subtitleOf(output), tables)
}

function subtitleOf(output: ReportOutput): string {
  const at = (value: unknown) => (typeof value === 'string' ? value : 'the start')
  if ('fromAsOf' in output) {
    return (
      `From ${at(output.fromAsOf)} as known at ${at(output.fromKnownAt)} to ${at(output.toAsOf)} as known at ` +
      `${at(output.toKnownAt)}: ${output.eventsReplayed} events replayed, up to log position ${output.position}.`
    )
  }
  const period =
    'asOf' in output
      ? `As of ${at(output.asOf)}`
      : `From ${at(output.from)} to ${typeof output.to === 'string' ? output.to : 'now'} (valid time)`
  return `${period}, as known at ${at(output.knownAt)}: ${output.eventsReplayed} events replayed, up to log position ${output.position}.`
}
