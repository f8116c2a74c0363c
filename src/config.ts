import path from 'node:path'
import { IANAZone } from 'luxon'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly port: number
  readonly host: string
  /** Unset: start the embedded PostgreSQL in `dataDir`. */
  readonly databaseUrl: string | undefined
  readonly dataDir: string
  /** IANA zone in which dates without a time are read. */
  readonly marketTz: string
  readonly logLevel: LogLevel
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit: number
  /** Load seeds/ into an empty log at start. Default: only on the embedded database. */
  readonly seedOnStart: boolean
  /** How long a query with `consistentWith` waits for the read model before a 503. */
  readonly consistencyWaitMs: number
  /** `public`: reads need no key. `key`: reads need a key with the read scope. */
  readonly readAccess: 'public' | 'key'
  /** Accepted as an admin key (how container deployments bootstrap). */
  readonly adminApiKey: string | undefined
  /** Requests per key (or per IP without one) per minute; 0 turns the limit off. */
  readonly rateLimitPerMinute: number
}

export class ConfigError extends Error {}

const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads the configuration once from the environment; every other module gets it passed in. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a port number, not '${env.PORT}'`)
  }
  const marketTz = env.MARKET_TZ ?? 'UTC'
  if (!IANAZone.isValidZone(marketTz)) {
    throw new ConfigError(
      `MARKET_TZ must be an IANA time zone such as 'UTC' or 'Asia/Shanghai', not '${marketTz}'`,
    )
  }
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${logLevels.join(', ')}, not '${env.LOG_LEVEL}'`)
  }
  if (env.ADMIN_API_KEY && env.ADMIN_API_KEY.length < 32) {
    throw new ConfigError('ADMIN_API_KEY must be at least 32 characters long')
  }
  const seedOnStart = env.SEED_ON_START ?? (env.DATABASE_URL ? 'false' : 'true')
  if (seedOnStart !== 'true' && seedOnStart !== 'false') {
    throw new ConfigError(`SEED_ON_START must be true or false, not '${seedOnStart}'`)
  }
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR ?? '.data'),
    marketTz,
    logLevel,
    bodyLimit: 1024 * 1024,
    seedOnStart: seedOnStart === 'true',
    consistencyWaitMs: positiveInteger(env, 'CONSISTENCY_WAIT_MS', 10_000),
    readAccess: oneOf(env, 'READ_ACCESS', ['public', 'key'] as const, 'public'),
    adminApiKey: env.ADMIN_API_KEY || undefined,
    rateLimitPerMinute: positiveInteger(env, 'RATE_LIMIT_PER_MINUTE', 6000),
  }
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 0)
    throw new ConfigError(`${name} must be a whole number, not '${text}'`)
  return value
}

function oneOf<const T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  if (!values.includes(text as T))
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, not '${text}'`)
  return text as T
}
