import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { EmbeddedServerError } from './errors.js'
import { canReach, type ServerUser } from './server-user.js'

/** Where the embedded server's files live for one data folder. */
export interface ServerLayout {
  /** DATA_DIR: the password, the published address, and (usually) everything else. */
  readonly dataDir: string
  /** The folder holding the cluster (and, where needed, a copy of the binaries). */
  readonly home: string
  readonly clusterDir: string
  /** True when `home` is not inside DATA_DIR, because the server user cannot reach DATA_DIR. */
  readonly relocated: boolean
}

/** Where a root-run server's files go when its user cannot reach DATA_DIR. */
export const RELOCATION_ROOT = '/var/lib/market-timeline'
const LOCATION_FILE = 'postgres.location'

/**
 * Lays out the server's files for `dataDir`. When the server runs as this process's user, or
 * the server user can reach DATA_DIR, everything is in DATA_DIR. As root with DATA_DIR in a
 * private folder (root's home, a 0700 `mktemp -d`), nothing there is opened to other users:
 * the cluster goes to a folder of the service's own under /var/lib, recorded in DATA_DIR so
 * that the data follows DATA_DIR if it moves.
 */
export async function layOut(dataDir: string, user: ServerUser): Promise<ServerLayout> {
  await makeDataDir(dataDir, user)
  const recorded = await readFile(path.join(dataDir, LOCATION_FILE), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  )
  const inPlace = { dataDir, home: dataDir, clusterDir: path.join(dataDir, 'postgres'), relocated: false }
  if (existsSync(path.join(inPlace.clusterDir, 'PG_VERSION'))) {
    if (!canReach(user, dataDir)) {
      throw new EmbeddedServerError(
        `the '${user.name}' user cannot enter DATA_DIR=${dataDir}, which holds its cluster: let it enter DATA_DIR and the folders above it (chmod o+x), or choose another DATA_DIR`,
      )
    }
    return inPlace
  }
  if (!user.self && (recorded !== undefined || !canReach(user, dataDir))) {
    const home = recorded ?? (await relocatedHome(dataDir))
    await makeFolder(home, 0o711)
    if (!canReach(user, home)) {
      throw new EmbeddedServerError(
        `the '${user.name}' user cannot reach ${home}; set DATA_DIR to a folder it can enter`,
      )
    }
    if (recorded === undefined)
      await writeFile(path.join(dataDir, LOCATION_FILE), `${home}\n`, { mode: 0o600 })
    return { dataDir, home, clusterDir: path.join(home, 'postgres'), relocated: true }
  }
  return inPlace
}

/** The cluster's folder for `dataDir`: inside it, or where it was moved to. */
export async function clusterDirOf(dataDir: string): Promise<string> {
  const recorded = await readFile(path.join(dataDir, LOCATION_FILE), 'utf8').catch(() => undefined)
  return path.join(recorded?.trim() || dataDir, 'postgres')
}

/** Deletes a data folder and, when its cluster was moved out of it, that folder too. */
export async function removeDataFolder(dataDir: string): Promise<void> {
  const recorded = await readFile(path.join(dataDir, LOCATION_FILE), 'utf8').catch(() => undefined)
  if (recorded?.trim().startsWith(`${RELOCATION_ROOT}/`))
    await rm(recorded.trim(), { recursive: true, force: true })
  await rm(dataDir, { recursive: true, force: true })
}

/** The cluster's folder, owned by the server user and private to it, as PostgreSQL requires. */
export async function makeClusterDir(layout: ServerLayout, user: ServerUser): Promise<void> {
  await mkdir(layout.clusterDir, { recursive: true, mode: 0o700 })
  if (!user.self) await chown(layout.clusterDir, user.uid, user.gid)
}

async function makeDataDir(dataDir: string, user: ServerUser): Promise<void> {
  const created = !existsSync(dataDir)
  try {
    // As root, a DATA_DIR made here may be entered (not listed) by the server user; its files are 0600.
    if (created) await makeFolder(dataDir, user.self ? 0o700 : 0o711)
  } catch (error) {
    throw new EmbeddedServerError(
      `cannot create the data folder DATA_DIR=${dataDir} (${(error as NodeJS.ErrnoException).code}); choose a folder you can write to`,
    )
  }
  if (!created && !canReach({ ...user, self: true }, dataDir, true)) {
    throw new EmbeddedServerError(
      `the data folder DATA_DIR=${dataDir} is not writable by this user; fix its permissions or choose another folder`,
    )
  }
}

/** mkdir -p, with `mode` on the folder itself whatever the umask. */
async function makeFolder(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true })
  await chmod(dir, mode)
}

async function relocatedHome(dataDir: string): Promise<string> {
  const real = await realpath(dataDir)
  const id = createHash('sha256').update(real).digest('hex').slice(0, 12)
  await makeFolder(RELOCATION_ROOT, 0o755).catch((error: NodeJS.ErrnoException) => {
    throw new EmbeddedServerError(
      `the 'postgres' user cannot reach DATA_DIR=${dataDir}, and ${RELOCATION_ROOT} cannot be created for it (${error.code}); set DATA_DIR to a folder the 'postgres' user can enter`,
    )
  })
  return path.join(
    RELOCATION_ROOT,
    `${path
      .basename(real)
      .replace(/^\.+/, '')
      .replace(/[^\w.-]/g, '_')}-${id}`,
  )
}
