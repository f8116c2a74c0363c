import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import type { Catalogue } from '../catalogue/catalogue.js'
import { type CellMapping, csvEvent } from './csv.js'

export const importFormats = ['ndjson', 'json', 'csv'] as const
export type ImportFormat = (typeof importFormats)[number]

/** One event as read from a file, before it is checked: where it stands, and what it says. */
export interface ReadEvent {
  readonly file: string
  readonly line: number
  readonly input: unknown
  /** CSV: the column each field came from (`/data/amount` → `price`), to name it in messages. */
  readonly columns?: ReadonlyMap<string, string>
}

/** A line that could not be read as an event at all (not JSON, a broken CSV row). */
export interface ReadProblem {
  readonly file: string
  readonly line: number
  readonly path: string
  readonly message: string
}

/**
 * The events of one file. A JSON file is a `POST /v1/events` body: its events stay one batch,
 * as its writer meant them to be stored together (at most 1000, as the API takes them).
 */
export interface ReadFile {
  readonly file: string
  readonly format: ImportFormat
  readonly events: ReadEvent[]
  readonly problems: ReadProblem[]
  readonly oneBatch: boolean
}

/** The format of a file: the one asked for, or the one its extension names. */
export function formatOf(file: string, asked: ImportFormat | undefined): ImportFormat | undefined {
  if (asked) return asked
  const extension = path.extname(file).toLowerCase()
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson'
  if (extension === '.json') return 'json'
  if (extension === '.csv') return 'csv'
  return undefined
}

/** Fields the service adds to an event it records: an exported event imports without them. */
const recordedOnly = ['position', 'recordedAt', 'version', 'precision', 'effectiveFrom'] as const

/**
 * An event exported by `npm run export -- log` or `GET /v1/events` (it has a position, a version
 * and a recording time) as the input that stores it again: id, type, subject, occurredAt, data,
 * source. Anything else is left for the check to judge.
 */
export function asInput(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const record = value as Record<string, unknown>
  if (!('position' in record && 'recordedAt' in record && 'version' in record)) return value
  const input = { ...record }
  for (const field of recordedOnly) delete input[field]
  return input
}

export async function readImportFile(
  file: string,
  format: ImportFormat,
  catalogue: Catalogue,
  mapping: CellMapping,
): Promise<ReadFile> {
  const text = await readFile(file, 'utf8')
  if (format === 'ndjson') return readNdjson(file, text)
  if (format === 'json') return readBody(file, text)
  return readCsv(file, text, catalogue, mapping)
}

function readNdjson(file: string, text: string): ReadFile {
  const events: ReadEvent[] = []
  const problems: ReadProblem[] = []
  const lines = text.split('\n')
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.trim() === '') return
    try {
      events.push({ file, line: index + 1, input: asInput(JSON.parse(line)) })
    } catch (error) {
      problems.push({ file, line: index + 1, path: '', message: `not JSON: ${(error as Error).message}` })
    }
  })
  return { file, format: 'ndjson', events, problems, oneBatch: false }
}

/** A `POST /v1/events` body (or a bare array of events), each event at the line where it starts. */
function readBody(file: string, text: string): ReadFile {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    const problem = { file, line: 1, path: '', message: `not JSON: ${(error as Error).message}` }
    return { file, format: 'json', events: [], problems: [problem], oneBatch: true }
  }
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events)
      ? ((body as { events: unknown[] }).events as unknown[])
      : undefined
  if (!list) {
    const problem = {
      file,
      line: 1,
      path: '/events',
      message: 'expected { "events": [ … ] } or an array of events',
    }
    return { file, format: 'json', events: [], problems: [problem], oneBatch: true }
  }
  const starts = elementLines(text, Array.isArray(body) ? 1 : 2)
  const events = list.map((value, i) => ({ file, line: starts[i] ?? 1, input: asInput(value) }))
  return { file, format: 'json', events, problems: [], oneBatch: true }
}

/**
 * The line on which each element of the events array starts: the values that open at `depth`
 * (1 for a bare array, 2 for the array inside the body object). The text is valid JSON here.
 */
function elementLines(text: string, depth: number): number[] {
  const lines: number[] = []
  let line = 1
  let level = 0
  let inString = false
  let expectValue = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n') line++
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue
    if (level === depth && expectValue && c !== ']') {
      lines.push(line)
      expectValue = false
    }
    if (c === '"') inString = true
    else if (c === '{' || c === '[') {
      level++
      if (level === depth && c === '[') expectValue = true
    } else if (c === '}' || c === ']') level--
    else if (c === ',' && level === depth) expectValue = true
  }
  return lines
}

function readCsv(file: string, text: string, catalogue: Catalogue, mapping: CellMapping): ReadFile {
  const events: ReadEvent[] = []
  const problems: ReadProblem[] = []
  let records: Array<{ record: string[]; info: { lines: number } }>
  try {
    records = parseCsv(text, { info: true, bom: true, skip_empty_lines: true }) as unknown as typeof records
  } catch (error) {
    const lineOf = (error as { lines?: number }).lines ?? 1
    problems.push({ file, line: lineOf, path: '', message: `not CSV: ${(error as Error).message}` })
    return { file, format: 'csv', events, problems, oneBatch: false }
  }
  const [header, ...rows] = records
  if (!header) return { file, format: 'csv', events, problems, oneBatch: false }
  const headerProblem = mapping.check(header.record)
  if (headerProblem) {
    problems.push({ file, line: header.info.lines, path: '', message: headerProblem })
    return { file, format: 'csv', events, problems, oneBatch: false }
  }
  for (const { record, info } of rows) {
    const { input, columns } = csvEvent(header.record, record, catalogue, mapping)
    events.push({ file, line: info.lines, input, columns })
  }
  return { file, format: 'csv', events, problems, oneBatch: false }
}
