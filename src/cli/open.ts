import { type Config, loadConfig } from '../config.js'
import { openDatabase, type Runtime } from '../runtime.js'
import { describeStartupFailure } from '../startup-failure.js'

/** The configuration for a command; a bad one is one line on standard error and exit 1. */
export function commandConfig(command: string): Config {
  try {
    return loadConfig()
  } catch (error) {
    return fail(command, error)
  }
}

/**
 * The database for a command: DATABASE_URL, or the embedded server that a running `npm start`
 * publishes in DATA_DIR, or (when none runs) an embedded server of the command's own.
 */
export async function openForCommand(config: Config, command: string): Promise<Runtime> {
  try {
    return await openDatabase(config, { role: command })
  } catch (error) {
    return fail(command, error, config.databaseUrl)
  }
}

function fail(command: string, error: unknown, databaseUrl?: string): never {
  console.error(`${command}: ${describeStartupFailure(error, databaseUrl)}`)
  process.exit(1)
}
