import { Command, type CommanderError } from 'commander'
import { catalogue } from '../../events/index.js'
import { createEventStore } from '../store/event-store.js'
import { lastPositionKnownAt } from '../store/sql/known-at.js'
import { marketDateProblem, parseMarketDate } from '../time/market-date.js'
import { commandConfig, openForCommand } from './open.js'
import { writeOut } from './write-out.js'

const program = new Command('npm run replay --')
  .description(
    'Prints the event log as NDJSON, one event per line in position (recording) order, as ' +
      'GET /v1/events streams it, from DATABASE_URL or the embedded database in DATA_DIR.',
  )
  .option(
    '--until <date>',
    'only the events recorded by the end of this date: the log as it stood then (default: all of it)',
  )
  .addHelpText(
    'after',
    `
Dates are YYYY, YYYY-MM, YYYY-MM-DD or an ISO-8601 date-time with offset, read in MARKET_TZ.

Examples:
  npm run replay -- --until 2024-06-30 > log.ndjson
  npm run replay | jq -c 'select(.type == "price.changed")'`,
  )
  .showHelpAfterError('(add --help for the options)')
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse()

const { until } = program.opts<{ until?: string }>()
const config = commandConfig('replay')
const untilDate = until === undefined ? undefined : parseMarketDate(until, config.marketTz)
if (until !== undefined && !untilDate) {
  program.error(`--until: ${marketDateProblem(until) ?? 'not a valid date'}`, { exitCode: 2 })
}

const runtime = await openForCommand(config, 'replay')
try {
  const store = createEventStore(runtime.database.db, catalogue, config.marketTz)
  const upTo = untilDate
    ? await lastPositionKnownAt(runtime.database.db, untilDate.end.toJSDate())
    : await store.headPosition()
  let lines: string[] = []
  for await (const event of store.stream({ upTo }, 5000)) {
    lines.push(`${JSON.stringify(event)}\n`)
    if (lines.length === 1000) {
      if (!(await writeOut(lines.join('')))) break
      lines = []
    }
  }
  await writeOut(lines.join(''))
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await runtime.close()
}
