import net from 'node:net'
import path from 'node:path'
import { IANAZone } from 'luxon'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly port: number
  readonly host: string
  /** Unset: start the embedded PostgreSQL in `dataDir`. */
  readonly databaseUrl: string | undefined
  /**
   * A streaming replica of `databaseUrl` (one server): the API reads the read models, the log and
   * reports there. Unset: everything is read from `databaseUrl`.
   */
  readonly readDatabaseUrl: string | undefined
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
  /**
   * How long a worker may hold a rebuild or delivery job before it is retried by another (how
   * long a killed worker's jobs wait). Unset: each queue's own (60 min rebuilds, 10 min deliveries).
   */
  readonly jobExpirySeconds: number | undefined
  readonly webhooks: WebhookConfig
  /**
   * Each ordinary statement (appends, read models, the workers' batches) is cancelled after this
   * long, in ms (a 503); 0 = never. Migrations run without it.
   */
  readonly statementTimeoutMs: number
  readonly reports: ReportLimits
  readonly feed: FeedConfig
  // How the API meets clients, proxies and memory.
  /** Bytes (of JSON) of read-model answers kept between requests; 0 keeps none. */
  readonly answerCacheBytes: number
  /**
   * Which proxies' X-Forwarded-For/-Proto to believe (fastify's trustProxy): none (false), all
   * (true), the nearest N hops, or proxies at these addresses/CIDRs. The client address so found
   * keys the rate limit.
   */
  readonly trustProxy: TrustProxy
  /** How long a client may take to send a whole request, headers and body. */
  readonly requestTimeoutMs: number
  /** A connection on which nothing moves either way for this long is closed. */
  readonly idleTimeoutMs: number
}

/** Report replays and full-log reads, which read the whole log: bounded per caller, on a pool of their own. */
export interface ReportLimits {
  /** Report jobs one caller (an API key, or an address without one) may have queued or running; 0 = no limit. */
  readonly jobsPerCaller: number
  /** Report replays and NDJSON reads of the log one caller may have in progress at once; 0 = no limit. */
  readonly readsPerCaller: number
  /** Connections of their pool, apart from the one appends and read-model queries use. */
  readonly poolSize: number
  /** A statement of theirs running longer is cancelled (a 503), in ms; 0 = never. */
  readonly statementTimeoutMs: number
}

/** The live feed (`GET /v1/feed`). */
export interface FeedConfig {
  /** A comment line is sent this often, so that quiet streams stay open through proxies. */
  readonly heartbeatMs: number
  /** Every feed reads the log this often even without a notification (one may be missed). */
  readonly pollMs: number
  /** A client whose socket takes nothing for this long is disconnected. */
  readonly drainTimeoutMs: number
  /** Events read from the log at a time per client: what a slow client may hold in memory. */
  readonly pageSize: number
  /** Feeds one caller may have open at once, per API process (0: no limit). */
  readonly streamsPerCaller: number
}

export type TrustProxy = boolean | number | readonly string[]

export interface WebhookConfig {
  /** Allow endpoints on loopback and private networks (link-local, unspecified and metadata addresses stay refused). */
  readonly allowPrivate: boolean
  /** Delay before each retry, in ms; the first attempt is immediate. */
  readonly retryDelaysMs: readonly number[]
  readonly timeoutMs: number
  /** An endpoint that has failed every delivery for this long is disabled. */
  readonly disableAfterMs: number
  /** Attempts in flight to one endpoint at a time, per worker process. */
  readonly concurrencyPerEndpoint: number
}

/** Svix's schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 28 h in all). */
export const defaultRetryDelaysSeconds = [5, 300, 1800, 7200, 18000, 36000, 36000] as const

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
  const readDatabaseUrl = env.READ_DATABASE_URL || undefined
  if (readDatabaseUrl && !env.DATABASE_URL) {
    throw new ConfigError('READ_DATABASE_URL names a replica of DATABASE_URL: set DATABASE_URL too')
  }
  if (readDatabaseUrl && !isPostgresUrl(readDatabaseUrl)) {
    throw new ConfigError("READ_DATABASE_URL must be a URL such as 'postgres://user:password@host:5432/db'")
  }
  const seedOnStart = env.SEED_ON_START ?? (env.DATABASE_URL ? 'false' : 'true')
  if (seedOnStart !== 'true' && seedOnStart !== 'false') {
    throw new ConfigError(`SEED_ON_START must be true or false, not '${seedOnStart}'`)
  }
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    readDatabaseUrl,
    dataDir: path.resolve(env.DATA_DIR ?? '.data'),
    marketTz,
    logLevel,
    bodyLimit: 1024 * 1024,
    seedOnStart: seedOnStart === 'true',
    consistencyWaitMs: positiveInteger(env, 'CONSISTENCY_WAIT_MS', 10_000),
    readAccess: oneOf(env, 'READ_ACCESS', ['public', 'key'] as const, 'public'),
    adminApiKey: env.ADMIN_API_KEY || undefined,
    rateLimitPerMinute: positiveInteger(env, 'RATE_LIMIT_PER_MINUTE', 6000),
    jobExpirySeconds: env.JOB_EXPIRY
      ? Math.max(1, Math.round(duration(env, 'JOB_EXPIRY', '0') / 1000))
      : undefined,
    webhooks: {
      allowPrivate: oneOf(env, 'WEBHOOK_ALLOW_PRIVATE', ['true', 'false'] as const, 'false') === 'true',
      retryDelaysMs: retryDelays(env.WEBHOOK_RETRY_DELAYS),
      timeoutMs: positiveInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
      disableAfterMs: duration(env, 'WEBHOOK_DISABLE_AFTER', '5d'),
      concurrencyPerEndpoint: Math.max(1, positiveInteger(env, 'WEBHOOK_CONCURRENCY_PER_ENDPOINT', 10)),
    },
    statementTimeoutMs: duration(env, 'STATEMENT_TIMEOUT', '30s'),
    reports: {
      jobsPerCaller: positiveInteger(env, 'REPORT_JOBS_PER_CALLER', 5),
      readsPerCaller: positiveInteger(env, 'REPORT_READS_PER_CALLER', 2),
      poolSize: Math.max(1, positiveInteger(env, 'REPORT_POOL_SIZE', 3)),
      statementTimeoutMs: duration(env, 'REPORT_STATEMENT_TIMEOUT', '60s'),
    },
    feed: feedConfig(env),
    ...httpConfig(env),
  }
}

function feedConfig(env: NodeJS.ProcessEnv): FeedConfig {
  const heartbeatMs = duration(env, 'FEED_HEARTBEAT', '15s')
  if (heartbeatMs < 10 || heartbeatMs > 20_000) {
    throw new ConfigError(`FEED_HEARTBEAT must be between 10ms and 20s, not '${env.FEED_HEARTBEAT}'`)
  }
  return {
    heartbeatMs,
    pollMs: Math.max(10, duration(env, 'FEED_POLL', '5s')),
    drainTimeoutMs: Math.max(10, duration(env, 'FEED_DRAIN_TIMEOUT', '60s')),
    pageSize: Math.min(1000, Math.max(1, positiveInteger(env, 'FEED_PAGE_SIZE', 100))),
    streamsPerCaller: positiveInteger(env, 'FEED_STREAMS_PER_CALLER', 8),
  }
}

function httpConfig(
  env: NodeJS.ProcessEnv,
): Pick<Config, 'answerCacheBytes' | 'trustProxy' | 'requestTimeoutMs' | 'idleTimeoutMs'> {
  const requestTimeoutMs = duration(env, 'REQUEST_TIMEOUT', '30s')
  if (requestTimeoutMs < 100) {
    throw new ConfigError(`REQUEST_TIMEOUT must be at least 100ms, not '${env.REQUEST_TIMEOUT}'`)
  }
  const idleTimeoutMs = duration(env, 'IDLE_TIMEOUT', '2m')
  const consistencyWaitMs = positiveInteger(env, 'CONSISTENCY_WAIT_MS', 10_000)
  // A consistentWith wait sends nothing until it ends: a shorter idle timeout would cut it.
  if (idleTimeoutMs <= consistencyWaitMs) {
    throw new ConfigError(
      `IDLE_TIMEOUT must be longer than CONSISTENCY_WAIT_MS (${consistencyWaitMs} ms), not '${env.IDLE_TIMEOUT ?? '2m'}'`,
    )
  }
  return {
    answerCacheBytes: byteSize(env, 'ANSWER_CACHE_BYTES', 32 * 1024 * 1024),
    trustProxy: trustProxy(env.TRUST_PROXY),
    requestTimeoutMs,
    idleTimeoutMs,
  }
}

/** `true`, `false`, a hop count, or comma-separated addresses, CIDRs and proxy-addr's names. */
function trustProxy(text: string | undefined): TrustProxy {
  const value = text?.trim() ?? ''
  if (value === '' || value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value)
  const parts = value.split(',').map((part) => part.trim())
  if (parts.every(isProxyAddress)) return parts
  throw new ConfigError(
    `TRUST_PROXY must be true, false, a number of proxy hops, or comma-separated proxy addresses or CIDRs such as '10.0.0.0/8,127.0.0.1', not '${text}'`,
  )
}

const proxyNames = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isProxyAddress(text: string): boolean {
  if (proxyNames.has(text)) return true
  const [address = '', prefix, ...rest] = text.split('/')
  const family = net.isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

const byteUnits: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }

/** A whole number of bytes, or of `KiB`, `MiB` or `GiB`. */
function byteSize(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]
  if (text === undefined || text.trim() === '') return fallback
  const match = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(text.trim())
  if (!match)
    throw new ConfigError(`${name} must be a size such as '64MiB', '512KiB' or '1000000', not '${text}'`)
  return Number(match[1]) * (byteUnits[match[2] ?? ''] ?? 1)
}

/** The URL is not echoed back: it may hold a password. */
function isPostgresUrl(text: string): boolean {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(text).protocol)
  } catch {
    return false
  }
}

function retryDelays(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return defaultRetryDelaysSeconds.map((s) => s * 1000)
  const parts = text.split(',').map((part) => part.trim())
  const seconds = parts.map(Number)
  if (parts.some((p) => p === '') || seconds.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new ConfigError(
      `WEBHOOK_RETRY_DELAYS must be comma-separated seconds such as '5,300,1800', not '${text}'`,
    )
  }
  return seconds.map((s) => Math.round(s * 1000))
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `5d`, `12h`, `30m`, `45s`, `500ms`, or a number of seconds. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const text = env[name] || fallback
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim())
  if (!match) throw new ConfigError(`${name} must be a duration such as '5d', '12h' or '30m', not '${text}'`)
  return Math.round(Number(match[1]) * (durationUnits[match[2] ?? 's'] ?? 1000))
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
