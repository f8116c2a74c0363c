import { ConfigError } from './config.js'
import { EmbeddedServerError } from './db/embedded.js'
import { MigrationError } from './db/migrate.js'

interface SystemError {
  code?: string
  syscall?: string
  address?: string
  port?: number
  path?: string
  errors?: unknown[]
  message?: string
}

/**
 * One line saying why a process could not start and what to do about it: for the person who
 * ran it, so never a stack trace. `databaseUrl` names the server without its password.
 */
export function describeStartupFailure(error: unknown, databaseUrl?: string): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`
  if (error instanceof EmbeddedServerError || error instanceof MigrationError) return error.message
  const e = (error ?? {}) as SystemError
  const inner = (e.errors?.[0] ?? e) as SystemError // connect() to several addresses fails as an AggregateError
  const where = databaseUrl ? describeServer(databaseUrl) : 'the database'
  switch (inner.code) {
    case 'EADDRINUSE':
      return `port ${inner.port} on ${inner.address} is already in use: stop what listens there, or set PORT (or HOST)`
    case 'ECONNREFUSED':
      return `cannot reach ${where}: connection refused. Is PostgreSQL running there, and is DATABASE_URL right?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach ${where}: its host name does not resolve. Check DATABASE_URL`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach ${where}: ${inner.code}. Check DATABASE_URL and the network`
    case '28P01':
      return `${where} refused the password (password authentication failed). Check DATABASE_URL`
    case '28000':
      return `${where} refused the connection: ${inner.message}. Check DATABASE_URL and the server's pg_hba.conf`
    case '3D000':
      return `${where} does not exist: ${inner.message}. Create it, or check DATABASE_URL`
    case 'EACCES':
    case 'EPERM':
      if (inner.syscall === 'listen') {
        return `not allowed to listen on port ${inner.port} on ${inner.address}: choose a PORT above 1023`
      }
      return `permission denied: ${inner.path ?? inner.message}. Fix its permissions, or choose another DATA_DIR`
    case 'EROFS':
    case 'ENOSPC':
      return `cannot write ${inner.path ?? ''} (${inner.code}): choose a DATA_DIR on a writable disk with room`
  }
  if (typeof inner.code === 'string' && /^[0-9A-Z]{5}$/.test(inner.code)) {
    return `${where} answered: ${inner.message} (SQLSTATE ${inner.code})`
  }
  if (databaseUrl && /timeout|terminated/i.test(String(inner.message))) {
    return `cannot reach ${where}: ${inner.message}. Check DATABASE_URL and the network`
  }
  return `could not start: ${error instanceof Error ? error.message : String(error)} (LOG_LEVEL=debug shows where)`
}

/** `database "x" on host:port` from a connection URL, never its password. */
function describeServer(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl)
    const database = decodeURIComponent(url.pathname.slice(1)) || '(default)'
    return `the database "${database}" at ${url.hostname}:${url.port || 5432}`
  } catch {
    return 'the database in DATABASE_URL'
  }
}
