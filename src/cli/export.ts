import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { Command, type CommanderError, Option } from 'commander'
import type { RecordedEvent } from '../catalogue/event-type.js'
import {
  type SnapshotFormat,
  snapshotFormats,
  snapshotModels,
  snapshotRows,
  toCsvRows,
} from '../export/snapshot.js'
import { parseMarketDate } from '../time/market-date.js'
import { commandConfig } from './open.js'
import {
  describeRefusal,
  localServiceUrl,
  RefusedRequest,
  type ServiceClient,
  serviceClient,
  Unreachable,
} from './service-client.js'
import { writeOut } from './write-out.js'

const config = commandConfig('export')

/** The option that gave a query parameter, for a refusal that names the parameter. */
const flags: Readonly<Record<string, string>> = {
  '/type': '--types',
  '/from': '--from',
  '/to': '--to',
  '/asOf': '--as-of',
  '/knownAt': '--known-at',
}

const program = new Command('npm run export --')
  .description(
    'Exports through the HTTP API, beside a running service or from a remote one: the event log as NDJSON, ' +
      'or a snapshot of every read model at a point in time.',
  )
  .showHelpAfterError('(add --help for the options)')
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))

const common = (command: Command) =>
  command
    .option('--url <url>', 'the service', localServiceUrl(config))
    .option(
      '--key <key>',
      'an API key with the read scope, where reads need one (default: MARKET_TIMELINE_API_KEY)',
    )
    .option('--out <file>', 'write to this file instead of standard output')

common(
  program
    .command('log')
    .description(
      'The log as NDJSON, one event a line in position order, as GET /v1/events streams it; `npm run import` stores it again.',
    )
    .option('--until <date>', 'only the events recorded by the end of this date: the log as it stood then')
    .option('--types <patterns>', 'only these types, a comma list (price.*, entity.registered)')
    .option('--from <date>', 'only events whose valid time starts at or after the start of this date')
    .option('--to <date>', 'only events whose valid time starts by the end of this date'),
).action(async (options: LogOptions) => run(options, (client, out) => exportLog(client, out, options)))

common(
  program
    .command('snapshot')
    .description(
      'Every read model at one point in time, as NDJSON rows { "model": "price", … } or as CSV (a model column, ' +
        'nested fields as dotted columns, lists as JSON); the first row (model "snapshot") says which point.',
    )
    .option('--as-of <date>', 'valid time (default: when the export starts)')
    .option('--known-at <date>', 'transaction time (default: the recording time of the latest event)')
    .addOption(new Option('--format <format>', 'output format').choices(snapshotFormats).default('ndjson'))
    .option('--model <models>', `only these models, a comma list of ${snapshotModels.join(', ')}`),
).action(async (options: SnapshotOptions) =>
  run(options, (client, out) => exportSnapshot(client, out, options)),
)

program.addHelpText(
  'after',
  `
Dates are YYYY, YYYY-MM, YYYY-MM-DD or an ISO-8601 date-time with offset (MARKET_TZ).

Examples:
  npm run export -- log --out log.ndjson
  npm run export -- log --until 2024-06-30 --types 'price.*'
  npm run export -- snapshot --as-of 2024-06-30 --format csv --out june.csv`,
)

interface CommonOptions {
  readonly url: string
  readonly key?: string
  readonly out?: string
}
interface LogOptions extends CommonOptions {
  readonly until?: string
  readonly types?: string
  readonly from?: string
  readonly to?: string
}
interface SnapshotOptions extends CommonOptions {
  readonly asOf?: string
  readonly knownAt?: string
  readonly format: SnapshotFormat
  readonly model?: string
}

/** Where the lines go: standard output (quietly ending when its reader goes away), or a file. */
interface Output {
  write(text: string): Promise<boolean>
  close(): Promise<void>
}

function outputTo(file: string | undefined): Output {
  if (!file) return { write: writeOut, close: async () => {} }
  const stream: WriteStream = createWriteStream(file)
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, 'drain')
      return true
    },
    async close() {
      stream.end()
      await once(stream, 'finish')
    },
  }
}

function usageError(message: string): never {
  console.error(`export: ${message}`)
  process.exit(2)
}

async function run(options: CommonOptions, work: (client: ServiceClient, out: Output) => Promise<void>) {
  try {
    new URL(options.url)
  } catch {
    usageError(`--url: '${options.url}' is not a URL such as http://127.0.0.1:3000`)
  }
  const client = serviceClient({ url: options.url, key: options.key ?? process.env.MARKET_TIMELINE_API_KEY })
  const out = outputTo(options.out)
  try {
    await work(client, out)
    await out.close()
  } catch (error) {
    await out.close().catch(() => {})
    if (error instanceof RefusedRequest) {
      const named = error.errors.filter((e) => flags[e.path])
      if (error.status === 400 && named.length > 0) {
        for (const e of named) console.error(`export: ${flags[e.path]}: ${e.message}`)
        process.exit(2)
      }
      console.error(`export: ${describeRefusal(error)}`)
    } else if (error instanceof Unreachable) {
      console.error(`export: ${error.message}`)
    } else {
      console.error(`export: ${error instanceof Error ? error.message : String(error)}`)
    }
    process.exitCode = 1
  }
}

async function exportLog(client: ServiceClient, out: Output, options: LogOptions): Promise<void> {
  let until: number | undefined
  if (options.until !== undefined) {
    const date = parseMarketDate(options.until, config.marketTz)
    if (!date)
      usageError(
        `--until: '${options.until}' is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time with offset)`,
      )
    until = date.end.toMillis()
  }
  const query = new URLSearchParams()
  if (options.types) query.set('type', options.types)
  if (options.from) query.set('from', options.from)
  if (options.to) query.set('to', options.to)
  const aborted = new AbortController()
  const response = await client.open(`/v1/events?${query}`, 'application/x-ndjson', aborted.signal)
  if (!response.body) return
  const decoder = new TextDecoder()
  let rest = ''
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const text = rest + decoder.decode(chunk, { stream: true })
      const end = text.lastIndexOf('\n') + 1
      rest = text.slice(end)
      let lines = text.slice(0, end)
      if (until !== undefined) {
        const kept = keptUntil(lines, until)
        lines = kept.lines
        if (kept.past) {
          // recordedAt never decreases in position order: nothing later can be in the export.
          if (lines) await out.write(lines)
          aborted.abort()
          return
        }
      }
      if (lines && !(await out.write(lines))) {
        aborted.abort()
        return
      }
    }
  } catch (error) {
    if (!aborted.signal.aborted)
      throw new Unreachable(`the log stream broke off: ${(error as Error).message}`)
  }
  if (rest.trim()) throw new Unreachable('the log stream ended in the middle of an event')
}

/** The lines recorded by `until` (epoch ms), and whether a later one came. */
function keptUntil(lines: string, until: number): { lines: string; past: boolean } {
  const kept: string[] = []
  for (const line of lines.split('\n')) {
    if (line === '') continue
    const event = JSON.parse(line) as RecordedEvent
    if (Date.parse(event.recordedAt) > until) return { lines: kept.join(''), past: true }
    kept.push(`${line}\n`)
  }
  return { lines: kept.join(''), past: false }
}

async function exportSnapshot(client: ServiceClient, out: Output, options: SnapshotOptions): Promise<void> {
  const models = options.model
    ? options.model
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : [...snapshotModels]
  const unknown = models.filter((m) => !(snapshotModels as readonly string[]).includes(m))
  if (unknown.length > 0)
    usageError(`--model: no model ${unknown.join(', ')}; choose from ${snapshotModels.join(', ')}`)
  const rows = snapshotRows(client, {
    ...(options.asOf !== undefined ? { asOf: options.asOf } : {}),
    ...(options.knownAt !== undefined ? { knownAt: options.knownAt } : {}),
    models: models as (typeof snapshotModels)[number][],
  })
  if (options.format === 'ndjson') {
    for await (const row of rows) if (!(await out.write(`${JSON.stringify(row)}\n`))) return
    return
  }
  const all = []
  for await (const row of rows) all.push(row)
  await out.write(toCsvRows(all))
}

await program.parseAsync()
