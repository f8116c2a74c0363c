import { execFileSync, spawnSync } from 'node:child_process'
import { EmbeddedServerError } from './errors.js'

/** Who runs the embedded server: this process's user, or `postgres` when this process is root. */
export interface ServerUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
  /** True when the server runs as this process's own user. */
  readonly self: boolean
}

const SERVER_USER = 'postgres'

/**
 * PostgreSQL refuses to run as root. As root the server runs as the `postgres` system user,
 * created (without a home or a login shell) where the system has none.
 */
export function serverUser(): ServerUser {
  const uid = process.getuid?.() ?? -1
  if (uid !== 0) return { name: 'this user', uid, gid: process.getgid?.() ?? -1, self: true }
  const found = lookUp(SERVER_USER) ?? createSystemUser(SERVER_USER)
  return { name: SERVER_USER, ...found, self: false }
}

function lookUp(name: string): { uid: number; gid: number } | undefined {
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' })
  const [uid, gid] = [id('-u'), id('-g')]
  if (uid.status !== 0 || gid.status !== 0) return undefined
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

function createSystemUser(name: string): { uid: number; gid: number } {
  try {
    execFileSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        name,
      ],
      { stdio: 'pipe' },
    )
  } catch (error) {
    throw new EmbeddedServerError(
      `PostgreSQL cannot run as root and there is no '${name}' user to run it as (useradd failed: ${firstLine(error)}); create one, or run as an ordinary user, or set DATABASE_URL`,
    )
  }
  const found = lookUp(name)
  if (!found) throw new EmbeddedServerError(`the '${name}' user was created but cannot be found`)
  return found
}

/**
 * Whether `user` can enter `dir` (and, with `write`, create files in it). Asked of the system
 * itself, as that user, so that every ancestor's mode, ACLs and mount options count.
 */
export function canReach(user: ServerUser, dir: string, write = false): boolean {
  const test = write ? 'test -x "$1" && test -w "$1"' : 'test -x "$1"'
  const result = spawnSync('/bin/sh', ['-c', test, 'sh', dir], {
    ...(user.self ? {} : { uid: user.uid, gid: user.gid }),
    stdio: 'ignore',
  })
  return result.status === 0
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
  return (stderr || String(error)).split('\n')[0] ?? ''
}
