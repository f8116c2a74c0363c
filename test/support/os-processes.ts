import { readdir, readFile, readlink, realpath } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

/** What Linux says of processes and their sockets, read from /proc: for tests that kill and wait. */

/** Whether `pid` is a running process (a zombie, dead but not reaped yet, is not). */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat !== undefined && !/^\d+ \(.*\) [ZX]/s.test(stat)
}

/**
 * The pids of the processes whose working directory is `dir`: every process of a PostgreSQL
 * server runs in its data directory, and its backends stay there after the postmaster died.
 */
export async function processesIn(dir: string): Promise<number[]> {
  const target = await realpath(dir)
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    if ((await readlink(`/proc/${entry}/cwd`).catch(() => '')) === target) found.push(Number(entry))
  }
  return found
}

/** Resolves once none of `pids` runs; rejects after `timeoutMs` naming those that still do. */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const running = []
    for (const pid of pids) if (await isRunning(pid)) running.push(pid)
    if (running.length === 0) return
    if (Date.now() > deadline)
      throw new Error(`processes ${running.join(', ')} still run after ${timeoutMs} ms`)
    await sleep(50)
  }
}

/**
 * The local ports of the TCP sockets that process `pid` has open: a connection to PostgreSQL
 * whose `client_port` is among them is that process's own.
 */
export async function tcpPortsOf(pid: number): Promise<Set<number>> {
  const inodes = new Set<string>()
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
    if (inode) inodes.add(inode)
  }
  const ports = new Set<number>()
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '')
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      const inode = fields[9]
      if (local && inode && inodes.has(inode)) ports.add(Number.parseInt(local.split(':')[1] ?? '', 16))
    }
  }
  return ports
}
