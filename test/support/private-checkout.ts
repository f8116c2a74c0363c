import { execFile, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmod, chown, cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { removeDataFolder } from '../../src/db/embedded.js'

/** A user to run a child process as: this process's own, or (as root) an unprivileged one. */
export interface RunAs {
  readonly name: string
  readonly uid?: number
  readonly gid?: number
}

export const isRoot = process.getuid?.() === 0

/** `nobody`, the unprivileged account every Debian system has, for running a service as a user. */
export function unprivilegedUser(): RunAs {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim())
  return { name: 'nobody', uid: id('-u'), gid: id('-g') }
}

export const thisUser: RunAs = { name: isRoot ? 'root' : 'this user' }

/**
 * A copy of this checkout inside a folder only `user` can enter (mode 0700), as a user's
 * home folder is: sources copied, node_modules hard-linked (copied across file systems).
 * With it a folder for HOME and a private TMPDIR, both 0700 too.
 */
export interface PrivateCheckout {
  readonly parent: string
  readonly app: string
  readonly home: string
  readonly tmp: string
  remove(): Promise<void>
}

const project = path.resolve(import.meta.dirname, '..', '..')
const skipped = new Set(['node_modules', '.git', '.data', 'results'])

export async function privateCheckout(user: RunAs): Promise<PrivateCheckout> {
  const parent = await mkdtemp(path.join(tmpdir(), 'market-timeline-private-'))
  const app = path.join(parent, 'app')
  await cp(project, app, { recursive: true, filter: (source) => !skipped.has(path.basename(source)) })
  await promisify(execFile)('cp', ['-al', path.join(project, 'node_modules'), app]).catch(() =>
    cp(path.join(project, 'node_modules'), path.join(app, 'node_modules'), {
      recursive: true,
      verbatimSymlinks: true,
    }),
  )
  const home = path.join(parent, 'home')
  const tmp = path.join(parent, 'tmp')
  for (const dir of [home, tmp]) await mkdir(dir, { mode: 0o700 })
  await chmod(parent, 0o700)
  if (user.uid !== undefined && user.gid !== undefined) {
    for (const dir of [parent, app, home, tmp]) await chown(dir, user.uid, user.gid)
  }
  return {
    parent,
    app,
    home,
    tmp,
    async remove() {
      await removeRelocatedCluster(path.join(app, '.data'))
      await rm(parent, { recursive: true, force: true })
    },
  }
}

/** A root-run server whose user could not reach DATA_DIR keeps its cluster elsewhere: remove that too. */
export const removeRelocatedCluster = removeDataFolder

export interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs an npm script of the checkout in `cwd` as `user`, with umask 077 and only the
 * environment given (plus PATH), the way a user's shell would.
 */
export function runNpm(
  cwd: string,
  user: RunAs,
  env: Record<string, string>,
  args: readonly string[],
): { done: Promise<Finished>; kill(signal: NodeJS.Signals): void; output(): string } {
  const child = spawn('/bin/sh', ['-c', 'umask 077 && exec npm "$@"', 'sh', ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      npm_config_update_notifier: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, signalled as a whole, as a terminal's Ctrl-C does: npm does not pass SIGTERM on.
    detached: true,
    ...(user.uid !== undefined ? { uid: user.uid, gid: user.gid } : {}),
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }))
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, signal)
  }
  return { done, kill, output: () => stdout + stderr }
}
