import { Argument, Command, type CommanderError, Option } from 'commander'
import { catalogue } from '../../events/index.js'
import { type CellMapping, cellMapping } from '../import/csv.js'
import { BatchRefused, postBatches } from '../import/post.js'
import { formatProblem, prepare } from '../import/prepare.js'
import { formatOf, type ImportFormat, importFormats, type ReadFile, readImportFile } from '../import/read.js'
import { MAX_BATCH } from '../store/batch.js'
import { commandConfig } from './open.js'
import { progressDisplay } from './progress.js'
import {
  describeRefusal,
  localServiceUrl,
  RefusedRequest,
  serviceClient,
  Unreachable,
} from './service-client.js'

const config = commandConfig('import')
const program = new Command('npm run import --')
  .description(
    'Imports events through the HTTP API (POST /v1/events), beside a running service or into a remote one. ' +
      'Every event is checked first, offline, with the validator the API applies: one bad line and nothing is sent.',
  )
  .addArgument(new Argument('<file...>', 'NDJSON (one event a line), a POST /v1/events body (JSON), or CSV'))
  .option('--url <url>', 'the service', localServiceUrl(config))
  .option('--key <key>', 'an API key with the write scope (default: MARKET_TIMELINE_API_KEY)')
  .addOption(
    new Option(
      '--format <format>',
      "the files' format (default: from each extension: .ndjson/.jsonl, .json, .csv)",
    ).choices(importFormats),
  )
  .option(
    '--map <column=field,...>',
    'CSV: the field each column fills (data.amount, source.quote, occurredAt, …)',
  )
  .option('--batch-size <n>', `events per request, 1–${MAX_BATCH}`, String(MAX_BATCH))
  .addHelpText(
    'after',
    `
Events without an id get one derived from their content, so running the same import again, or
again after an interruption, stores nothing twice: the second run reports them as already stored.
Events exported by \`npm run export -- log\` import as they were (id, type, subject, occurredAt,
data, source). A CSV column not mapped with --map fills the field it is named after; --map col=
leaves a column out; arrays are JSON or items separated by ';'.
Progress goes to standard error: a bar on a terminal, plain lines otherwise.

Examples:
  npm run import -- events.ndjson --key "$KEY"
  npm run import -- prices.csv --map product=subject,date=occurredAt,price=data.amount --key "$KEY"
  npm run import -- seeds/*.json --url https://timeline.example.org --key "$KEY"`,
  )
  .showHelpAfterError('(add --help for the options)')
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse()

/** A mistake in the command line: one line, status 2. */
function usageError(message: string): never {
  program.error(message, { exitCode: 2 })
  process.exit(2)
}

const options = program.opts<{
  url: string
  key?: string
  format?: ImportFormat
  map?: string
  batchSize: string
}>()
const files = program.processedArgs[0] as string[]
const batchSize = Number(options.batchSize)
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
  usageError(`--batch-size: a whole number from 1 to ${MAX_BATCH}, not '${options.batchSize}'`)
}
let mapping: CellMapping
try {
  mapping = cellMapping(options.map)
} catch (error) {
  usageError((error as Error).message)
}
try {
  new URL(options.url)
} catch {
  usageError(`--url: '${options.url}' is not a URL such as http://127.0.0.1:3000`)
}

const read: ReadFile[] = []
for (const file of files) {
  const format = formatOf(file, options.format)
  if (!format) usageError(`${file}: name the format with --format (${importFormats.join(', ')})`)
  try {
    read.push(await readImportFile(file, format, catalogue, mapping))
  } catch (error) {
    usageError(
      `${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    )
  }
}

const prepared = prepare(read, catalogue, batchSize)
if (prepared.problems.length > 0) {
  for (const problem of prepared.problems) console.error(formatProblem(problem))
  const lines = new Set(prepared.problems.map((p) => `${p.file}:${p.line}`)).size
  console.error(`import: ${lines} bad line${lines === 1 ? '' : 's'}; nothing was sent`)
  process.exit(1)
}

const count = (n: number) => n.toLocaleString('en-US')
const client = serviceClient({ url: options.url, key: options.key ?? process.env.MARKET_TIMELINE_API_KEY })
const progress = progressDisplay('import', process.stderr, 'imported')
let done = 0
process.once('SIGINT', () => {
  progress.stop()
  console.error(
    `import: interrupted after ${count(done)} events; the same command again completes the import`,
  )
  process.exit(130)
})
progress.update({ replayed: 0, total: prepared.events })
try {
  const counts = await postBatches(client, prepared.batches, ({ posted }) => {
    done = posted
    progress.update({ replayed: posted, total: prepared.events })
  })
  progress.stop()
  const repeated = prepared.repeated > 0 ? ` (${count(prepared.repeated)} repeated lines sent once)` : ''
  console.log(
    `import: ${count(prepared.events)} events from ${files.length} file${files.length === 1 ? '' : 's'}: ` +
      `${count(counts.stored)} new, ${count(counts.alreadyStored)} already stored${repeated}`,
  )
} catch (error) {
  progress.stop()
  if (error instanceof BatchRefused) {
    for (const problem of error.problems) console.error(formatProblem(problem))
    console.error(
      `import: the service refused the batch of ${error.first.file}:${error.first.line}–${error.last.line} ` +
        `(${error.status} ${error.detail}); nothing of it was stored. Before it: ` +
        `${count(error.before.stored)} new, ${count(error.before.alreadyStored)} already stored.`,
    )
  } else if (error instanceof RefusedRequest) {
    console.error(`import: ${describeRefusal(error)}`)
  } else if (error instanceof Unreachable) {
    console.error(
      `import: stopped after ${count(done)} events: ${error.message}; the same command again completes the import`,
    )
  } else {
    console.error(`import: ${error instanceof Error ? error.message : String(error)}`)
  }
  process.exitCode = 1
}
