import { createHash } from 'node:crypto'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { EventInput } from '../catalogue/envelope.js'
import { compileAppendValidator } from '../catalogue/validation.js'
import { MAX_BATCH } from '../store/batch.js'
import type { ReadEvent, ReadFile, ReadProblem } from './read.js'

/** An event ready to post: checked, with its id, and where it came from. */
export interface PreparedEvent {
  readonly file: string
  readonly line: number
  readonly input: EventInput
  readonly columns?: ReadonlyMap<string, string> | undefined
}

export interface Prepared {
  /** In file order; each batch is stored all or nothing, in this order. */
  readonly batches: PreparedEvent[][]
  readonly events: number
  /** Lines that repeat an event already in the files (same id, same content): posted once. */
  readonly repeated: number
  readonly problems: ReadProblem[]
}

/** The namespace of the ids given to events that come without one (a UUID v5 namespace). */
const IMPORT_NAMESPACE = '3c1f4a52-9a0e-5d7b-8f36-4e2b9c6d1a07'

/**
 * Checks every event with the same validator `POST /v1/events` applies, and gives each event
 * without an id one derived from what it says: a UUID v5 of its canonical JSON and of how many
 * identical events come before it in its file. The same file therefore yields the same ids on
 * every run, which makes a second run, or one resumed after an interruption, add nothing twice.
 */
export function prepare(files: readonly ReadFile[], catalogue: Catalogue, batchSize = MAX_BATCH): Prepared {
  const validate = compileAppendValidator(catalogue)
  const problems: ReadProblem[] = []
  const seen = new Map<string, { at: string; content: string }>()
  const batches: PreparedEvent[][] = []
  let events = 0
  let repeated = 0
  for (const file of files) {
    const found: ReadProblem[] = [...file.problems]
    collect(file, found)
    problems.push(...found.sort((a, b) => a.line - b.line))
  }
  return { batches, events, repeated, problems }

  function collect(file: ReadFile, problems: ReadProblem[]): void {
    if (file.oneBatch && file.events.length > MAX_BATCH) {
      problems.push({
        file: file.file,
        line: 1,
        path: '/events',
        message: `holds ${file.events.length} events; one body stores at most ${MAX_BATCH} (as NDJSON there is no limit)`,
      })
      return
    }
    const copies = new Map<string, number>()
    const ready: PreparedEvent[] = []
    for (const event of file.events) {
      const errors = validate({ events: [event.input] })
      if (errors.length > 0) {
        for (const error of errors)
          problems.push(problemAt(event, error.path.replace(/^\/events\/0/, ''), error.message))
        continue
      }
      const input = event.input as EventInput
      const { id: given, ...rest } = input
      const content = canonicalJson(rest)
      let id = given?.toLowerCase()
      if (!id) {
        const copy = copies.get(content) ?? 0
        copies.set(content, copy + 1)
        id = uuidV5(IMPORT_NAMESPACE, `${copy}\u0000${content}`)
      }
      const earlier = seen.get(id)
      if (earlier) {
        if (earlier.content === content) {
          repeated++
          continue
        }
        problems.push(problemAt(event, '/id', `repeats the id of ${earlier.at} with other content`))
        continue
      }
      seen.set(id, { at: `${event.file}:${event.line}`, content })
      ready.push({ file: event.file, line: event.line, input: { id, ...rest }, columns: event.columns })
    }
    events += ready.length
    const size = file.oneBatch ? Math.max(ready.length, 1) : batchSize
    for (let i = 0; i < ready.length; i += size) batches.push(ready.slice(i, i + size))
  }
}

export function problemAt(
  event: Pick<ReadEvent, 'file' | 'line' | 'columns'>,
  path: string,
  message: string,
): ReadProblem {
  const column = columnOf(event.columns, path)
  return { file: event.file, line: event.line, path: column ? `${path} (column ${column})` : path, message }
}

function columnOf(columns: ReadonlyMap<string, string> | undefined, path: string): string | undefined {
  if (!columns) return undefined
  for (let at = path; at !== ''; at = at.slice(0, at.lastIndexOf('/'))) {
    const column = columns.get(at)
    if (column !== undefined) return column
  }
  return undefined
}

/** JSON with every object's keys in order: equal content, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** RFC 9562 UUID version 5: SHA-1 of the namespace and the name. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
  const bytes = hash.subarray(0, 16)
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function formatProblem(problem: ReadProblem): string {
  return `${problem.file}:${problem.line}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`
}
