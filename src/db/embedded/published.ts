import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { EmbeddedServerError } from './errors.js'
import type { ServerLayout } from './layout.js'

/** Who started the embedded server of a data folder, and where it listens: for other commands to attach. */
export interface Published {
  /** The process that started the server and will stop it. */
  readonly owner: number
  /** `service` (npm start) or the command's name (report, seed, …). */
  readonly ownerRole: string
  readonly postgresPid: number
  readonly port: number
}

const FILE = 'server.json'

/** Readable by this user only: with the password beside it, it is a way into the database. */
export async function publish(dataDir: string, published: Published): Promise<void> {
  await writeFile(path.join(dataDir, FILE), `${JSON.stringify(published)}\n`, { mode: 0o600 })
}

export async function unpublish(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, FILE), { force: true })
}

/** The server published in `dataDir` if its owner and its postmaster both still run. */
export async function livePublished(dataDir: string): Promise<Published | undefined> {
  const text = await readFile(path.join(dataDir, FILE), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  let published: Published
  try {
    published = JSON.parse(text) as Published
  } catch {
    return undefined
  }
  const alive =
    (await isProcess(published.owner, 'node')) && (await isProcess(published.postgresPid, 'postgres'))
  return alive ? published : undefined
}

/**
 * Makes the cluster ours before starting it. A process killed with SIGKILL leaves its server
 * running (orphaned) or, after a reboot, a postmaster.pid naming a dead process. The published
 * record says which process started the server: while that process lives the cluster is in
 * use and is not taken; otherwise an orphaned server is shut down and a stale pid file removed.
 */
export async function takeOverCluster(layout: ServerLayout): Promise<void> {
  const pidFile = path.join(layout.clusterDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const postgresPid = Number((await readFile(pidFile, 'utf8')).split('\n')[0])
  if (!(await isProcess(postgresPid, 'postgres'))) {
    await rm(pidFile, { force: true })
    return
  }
  const live = await livePublished(layout.dataDir)
  if (live && live.owner !== process.pid) {
    throw new EmbeddedServerError(
      `the embedded database in ${layout.dataDir} is in use by ${live.ownerRole === 'service' ? 'npm start' : `npm run ${live.ownerRole}`} (process ${live.owner}); stop it first, or set DATA_DIR to another folder`,
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
  // The program's name from its command line: Node 24 renames its main thread, so /proc/pid/comm
  // reads "MainThread" there.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined)
  if (cmdline === undefined) return true
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // A zombie has not been reaped yet but is gone.
  return path.basename(cmdline.split('\0')[0] ?? '').startsWith(name) && !/^\d+ \(.*\) Z/.test(stat)
}
