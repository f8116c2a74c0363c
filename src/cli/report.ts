import { writeFile } from 'node:fs/promises'
import { Argument, Command, type CommanderError, Option } from 'commander'
import { catalogue } from '../../events/index.js'
import { findReport, reports } from '../../reports/index.js'
import { DomainError } from '../errors.js'
import { type ReportFormat, renderReport, reportFormats } from '../reports/formats.js'
import { type GivenParameters, resolveParameters } from '../reports/parameters.js'
import { replayReport } from '../reports/replay.js'
import type { Report, ReportParameters } from '../reports/report.js'
import { commandConfig, openForCommand } from './open.js'
import { progressDisplay } from './progress.js'
import { writeOut } from './write-out.js'

const flags: Record<keyof GivenParameters, string> = {
  asOf: '--as-of',
  knownAt: '--known-at',
  from: '--from',
  to: '--to',
  reportedBy: '--reported-by',
  fromAsOf: '--from-as-of',
  toAsOf: '--to-as-of',
  fromKnownAt: '--from-known-at',
  toKnownAt: '--to-known-at',
  company: '--company',
  product: '--product',
  alliance: '--alliance',
}

const program = new Command('npm run report --')
  .description(
    'Replays the event log from the start into a report, against the configured database: ' +
      'DATABASE_URL, or the embedded one in DATA_DIR (the one a running `npm start` serves, or one started for the command).',
  )
  .addArgument(new Argument('<report>', 'the report to replay').choices(reports.map((r) => r.name)))
  .option('--as-of <date>', 'market-snapshot: the market as of the end of this date (default: now)')
  .option(
    '--known-at <date>',
    'only what had been recorded, and not retracted, by the end of this date (default: now)',
  )
  .option(
    '--from <date>',
    'price-changes, funding: from the start of this date (valid time; default: the beginning)',
  )
  .option('--to <date>', 'price-changes, funding: to the end of this date (valid time; default: no end)')
  .option(
    '--reported-by <date>',
    'only facts and retractions published (source.publishedAt, else recorded) by the end of this date',
  )
  .option('--from-as-of <date>', 'changes: point A, the market as of the end of this date (required)')
  .option('--to-as-of <date>', 'changes: point B, the market as of the end of this date (default: now)')
  .option('--from-known-at <date>', 'changes: point A, as recorded by the end of this date (default: now)')
  .option('--to-known-at <date>', 'changes: point B, as recorded by the end of this date (default: now)')
  .option('--company <slug>', 'changes: only what concerns this company')
  .option('--product <slug>', 'changes: only what concerns this product')
  .option('--alliance <slug>', 'changes: only this alliance, its members and its figures')
  .addOption(new Option('--format <format>', 'output format').choices(reportFormats).default('json'))
  .option('--out <file>', 'write the report to this file instead of standard output')
  .addHelpText(
    'after',
    `
Dates are YYYY, YYYY-MM, YYYY-MM-DD or an ISO-8601 date-time with offset, read in MARKET_TZ.
CSV follows RFC 4180 with a header row; Markdown is a title and one table per section.
Progress goes to standard error: a bar on a terminal, plain lines otherwise.

Examples:
  npm run report -- market-snapshot --as-of 2024-06-30 --format markdown --out snapshot.md
  npm run report -- price-changes --from 2024-05-01 --to 2024-05-31 --format csv
  npm run report -- funding --from 2023 --to 2023 --known-at 2024-07-01
  npm run report -- changes --from-as-of 2024-05-01 --to-as-of 2024-06-30 --from-known-at 2024-06-01 --to-known-at 2024-07-01`,
  )
  .showHelpAfterError('(add --help for the options)')
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse()

const options = program.opts<GivenParameters & { format: ReportFormat; out?: string }>()
const report: Report = findReport(program.processedArgs[0] as string) ?? program.error('no such report')
const given: GivenParameters = Object.fromEntries(
  (Object.keys(flags) as (keyof GivenParameters)[]).flatMap((name) => {
    const value = options[name]
    return value === undefined ? [] : [[name, value]]
  }),
)
const config = commandConfig('report')
const parameters = resolveOrExit(given)

/** The dates as instants; a bad one names its option and exits with status 2. */
function resolveOrExit(given: GivenParameters): ReportParameters {
  try {
    return resolveParameters(report, given, config.marketTz, Date.now())
  } catch (error) {
    if (!(error instanceof DomainError)) throw error
    for (const { path, message } of error.errors) {
      const name = path.slice(1) as keyof GivenParameters
      console.error(`${flags[name] ?? name}: ${message}`)
    }
    process.exit(2)
  }
}

const runtime = await openForCommand(config, 'report')
try {
  const progress = progressDisplay(report.name)
  const output = await replayReport(runtime.database.db, catalogue, report, parameters, {
    onProgress: (p) => progress.update(p),
  })
  progress.stop()
  const body = renderReport(report, output, options.format)
  if (options.out) {
    await writeFile(options.out, body)
    console.error(`${report.name}: wrote ${options.out}`)
  } else {
    await writeOut(body)
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await runtime.close()
}
