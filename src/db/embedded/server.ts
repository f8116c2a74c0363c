import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { chown, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ServerBinaries } from './binaries.js'
import { EmbeddedServerError } from './errors.js'
import type { ServerLayout } from './layout.js'
import type { ServerUser } from './server-user.js'

export const SUPERUSER = 'postgres'
const READY_WITHIN_MS = 120_000

/** A running postmaster started by this process. */
export interface ServerProcess {
  readonly pid: number
  readonly port: number
  /** Fast shutdown (open transactions rolled back, a checkpoint), bounded. */
  stop(): Promise<void>
}

interface Running {
  readonly binaries: ServerBinaries
  readonly layout: ServerLayout
  readonly user: ServerUser
  readonly log: (line: string) => void
}

/** Creates the cluster with a superuser password, UTF-8 and the C locale (the same on every machine). */
export async function initCluster(run: Running, password: string): Promise<void> {
  const passwordFile = path.join(run.layout.home, `.initdb-password-${process.pid}`)
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 })
  try {
    if (!run.user.self) await chown(passwordFile, run.user.uid, run.user.gid)
    const { code, output } = await runToEnd(run, 'initdb', [
      `--pgdata=${run.layout.clusterDir}`,
      '--auth=scram-sha-256',
      `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ])
    if (code !== 0) {
      throw new EmbeddedServerError(
        `initdb could not create the cluster in ${run.layout.clusterDir}: ${lastError(output) ?? `exit ${code}`}`,
      )
    }
  } finally {
    await rm(passwordFile, { force: true })
  }
}

/** Refuses a cluster made by another major version before the server does, in words that say what to do. */
export async function checkClusterVersion(layout: ServerLayout, binaries: ServerBinaries): Promise<void> {
  const text = await readFile(path.join(layout.clusterDir, 'PG_VERSION'), 'utf8')
  const major = Number.parseInt(text, 10)
  if (major !== binaries.major) {
    throw new EmbeddedServerError(
      `the data in ${layout.clusterDir} was made by PostgreSQL ${text.trim()}, and this build runs PostgreSQL ${binaries.major}: upgrade it with pg_upgrade (or dump and restore), or choose another DATA_DIR`,
    )
  }
}

/** Starts the postmaster on 127.0.0.1:`port` (TCP only) and waits until it accepts connections. */
export async function startServer(
  run: Running,
  port: number,
  flags: readonly string[],
): Promise<ServerProcess> {
  const child = spawnAsUser(run, 'postgres', [
    '-D',
    run.layout.clusterDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    ...flags,
  ])
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      output += text
      for (const line of text.split('\n')) if (line.trim()) run.log(line.trim())
      if (output.includes('database system is ready to accept connections')) resolve()
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new ServerExited(code, lastError(output))))
  })
  // Crash recovery of a large cluster can take a while, but not for ever.
  const timer = setTimeout(() => child.kill('SIGQUIT'), READY_WITHIN_MS)
  await ready
    .finally(() => clearTimeout(timer))
    .catch((error: unknown) => {
      if (error instanceof ServerExited && child.signalCode === 'SIGQUIT') {
        throw new EmbeddedServerError(
          `the embedded PostgreSQL did not accept connections within ${READY_WITHIN_MS / 1000} s; its last words: ${lastError(output) ?? output.trim().split('\n').at(-1) ?? 'none'}`,
        )
      }
      throw error
    })
  child.stderr?.removeAllListeners('data')
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) run.log(line.trim())
  })
  const exited = once(child, 'exit')
  return {
    pid: child.pid as number,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The server ended before it was ready; `reason` is its last error line. */
export class ServerExited extends Error {
  constructor(
    readonly code: number | null,
    readonly reason: string | undefined,
  ) {
    super(reason ?? `PostgreSQL exited with code ${code} before accepting connections`)
  }
  get portTaken(): boolean {
    return /could not bind|address already in use|could not create any TCP\/IP sockets/i.test(
      this.reason ?? '',
    )
  }
}

function spawnAsUser(run: Running, program: string, args: readonly string[]): ChildProcess {
  const binary = path.join(run.binaries.root, 'bin', program)
  if (!existsSync(binary)) throw new EmbeddedServerError(`the PostgreSQL program ${binary} is missing`)
  return spawn(binary, args, {
    ...(run.user.self ? {} : { uid: run.user.uid, gid: run.user.gid }),
    cwd: run.layout.home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

async function runToEnd(
  run: Running,
  program: string,
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  const child = spawnAsUser(run, program, args)
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output }
}

/** The server's last FATAL/ERROR line, without its prefix: what went wrong, in PostgreSQL's words. */
function lastError(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\b(FATAL|ERROR|PANIC):|^initdb: error:|could not/i.test(l))
  return lines
    .at(-1)
    ?.replace(/^.*?\b(FATAL|ERROR|PANIC):\s*/, '')
    .replace(/^initdb: error:\s*/, '')
}
