import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './process.js'

const run = promisify(execFile)

/**
 * A real PostgreSQL primary and a hot standby streaming from it, built from the distribution's
 * server package (Debian's /usr/lib/postgresql/<major>/bin), each in a folder of a temp folder,
 * on loopback ports of their own.
 */
export interface ReplicatedPair {
  /** Superuser URLs of the `postgres` database on each server. */
  readonly primaryUrl: string
  readonly standbyUrl: string
  /** Stops the standby alone (fast shutdown), as a replica that goes away. */
  stopStandby(): Promise<void>
  /** Stops both servers (fast shutdown) and removes the temp folder. */
  stop(): Promise<void>
}

const serverPackageRoot = '/usr/lib/postgresql'
const binaries = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'] as const

/** The newest major installed with every binary needed, or a clear error saying what to install. */
export function serverBinaries(): string {
  const majors = existsSync(serverPackageRoot)
    ? readdirSync(serverPackageRoot)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : []
  for (const major of majors) {
    const bin = path.join(serverPackageRoot, major, 'bin')
    if (binaries.every((name) => existsSync(path.join(bin, name)))) return bin
  }
  throw new Error(
    `no PostgreSQL server binaries (${binaries.join(', ')}) in ${serverPackageRoot}/<major>/bin: install the 'postgresql' package`,
  )
}

/** PostgreSQL refuses to run as root: then its processes run as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (!uid || !gid)
    throw new Error("running as root, but there is no 'postgres' system user to run PostgreSQL")
  return { uid: Number(uid), gid: Number(gid) }
}

export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const bin = serverBinaries()
  const user = serverUser()
  const password = `pw${Math.random().toString(36).slice(2)}`
  const root = await mkdtemp(path.join(tmpdir(), 'market-timeline-replica-'))
  // The folder mkdtemp makes is 0700: the server's own user must be able to enter it and write there.
  await chmod(root, 0o755)
  if (user) await chown(root, user.uid, user.gid)
  const primaryDir = path.join(root, 'primary')
  const standbyDir = path.join(root, 'standby')
  const started: string[] = []
  const pgTool = async (name: string, args: string[]) => {
    try {
      await run(path.join(bin, name), args, {
        ...(user ?? {}),
        cwd: root,
        env: { ...process.env, PGPASSWORD: password, LC_ALL: 'C' },
        timeout: 60_000,
      })
    } catch (error) {
      const { stderr } = error as { stderr?: string }
      throw new Error(`${name} ${args.join(' ')} failed: ${stderr || String(error)}`)
    }
  }
  const stopServer = async (dir: string) => {
    if (!started.includes(dir)) return
    started.splice(started.indexOf(dir), 1)
    await pgTool('pg_ctl', ['stop', '-D', dir, '-m', 'fast', '-w', '-t', '30'])
  }
  const stop = async () => {
    for (const dir of [...started].reverse()) await stopServer(dir).catch(() => {})
    await rm(root, { recursive: true, force: true })
  }

  try {
    const passwordFile = path.join(root, 'password')
    await writeFile(passwordFile, password, { mode: 0o600 })
    if (user) await chown(passwordFile, user.uid, user.gid)
    const [primaryPort, standbyPort] = [await freePort(), await freePort()]

    await pgTool('initdb', [
      '-D',
      primaryDir,
      '-U',
      'postgres',
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-instructions',
    ])
    await appendFile(
      path.join(primaryDir, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${primaryPort}`,
        "unix_socket_directories = ''",
        'fsync = off',
        'full_page_writes = off',
        'wal_level = replica',
        'max_wal_senders = 4',
        'hot_standby = on',
        '',
      ].join('\n'),
    )
    await writeFile(
      path.join(primaryDir, 'pg_hba.conf'),
      'host all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n',
    )
    if (user) await chown(path.join(primaryDir, 'pg_hba.conf'), user.uid, user.gid)
    await pgTool('pg_ctl', [
      'start',
      '-D',
      primaryDir,
      '-l',
      path.join(root, 'primary.log'),
      '-w',
      '-t',
      '60',
    ])
    started.push(primaryDir)

    await pgTool('pg_basebackup', [
      '-R',
      '-D',
      standbyDir,
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-X',
      'stream',
    ])
    // The last setting in the file wins: the copied configuration keeps the primary's port.
    await appendFile(path.join(standbyDir, 'postgresql.conf'), `port = ${standbyPort}\n`)
    await pgTool('pg_ctl', [
      'start',
      '-D',
      standbyDir,
      '-l',
      path.join(root, 'standby.log'),
      '-w',
      '-t',
      '60',
    ])
    started.push(standbyDir)

    const url = (port: number) => `postgres://postgres:${password}@127.0.0.1:${port}/postgres`
    return {
      primaryUrl: url(primaryPort),
      standbyUrl: url(standbyPort),
      stopStandby: () => stopServer(standbyDir),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** One statement on a connection of its own. */
export async function queryOnce<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text, values)).rows
  } finally {
    await client.end()
  }
}
