import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { generationSchema } from '../../src/projector/projection.js'
import { tcpPortsOf } from './os-processes.js'

/** A projection's checkpoint row locked by an open transaction: a batch being applied. */
export interface HeldBatch {
  readonly projection: string
  readonly generation: number
  /** The PostgreSQL backend serving the connection, and the connection's port on the client side. */
  readonly backendPid: number
  readonly clientPort: number
  /** The transaction's id (`xid`), to ask afterwards whether it committed. */
  readonly transaction: string
  readonly state: string
  readonly waitEvent: string | null
  readonly stateChange: string
  /** The generation's tables this transaction has written to: the batch's writes, not committed yet. */
  readonly readModelWrites: readonly string[]
}

/**
 * Every batch held right now, from PostgreSQL's own view: the transaction holds the table's
 * RowShareLock in pg_locks (taken by SELECT … FOR UPDATE), and the checkpoint row carries its
 * xid as the locker (xmax), which is what a held row lock is. With it, the tables of that
 * generation the same transaction holds RowExclusiveLock on: what it has written so far.
 */
export async function heldBatches(db: Kysely<Database>): Promise<HeldBatch[]> {
  const { rows } = await sql<Omit<HeldBatch, 'readModelWrites'> & { written: string[] }>`
    select c.name as projection, c.generation, a.pid as "backendPid", a.client_port as "clientPort",
           a.backend_xid::text as transaction, a.state, a.wait_event as "waitEvent",
           a.state_change::text as "stateChange",
           array(select n.nspname || '.' || k.relname
                   from pg_locks w
                   join pg_class k on k.oid = w.relation and k.relkind in ('r', 'p')
                   join pg_namespace n on n.oid = k.relnamespace
                  where w.pid = a.pid and w.mode = 'RowExclusiveLock' and w.granted) as written
      from pg_locks l
      join pg_stat_activity a on a.pid = l.pid
      join projection_checkpoints c on c.xmax = a.backend_xid
     where l.locktype = 'relation' and l.relation = 'projection_checkpoints'::regclass
       and l.mode = 'RowShareLock' and l.granted and a.datname = current_database()
  `.execute(db)
  return rows.map(({ written, ...batch }) => {
    const schema = `${generationSchema(batch.projection, batch.generation)}.`
    return { ...batch, readModelWrites: written.filter((table) => table.startsWith(schema)) }
  })
}

/**
 * Waits (at most `timeoutMs`) until process `pid` holds a batch on one of its own connections
 * and has written part of it to the read model in that same transaction, then stops it (SIGSTOP) and confirms that the batch's transaction is still open and waiting
 * on the stopped process: from then on it can only end in a rollback. If it committed in the
 * meantime, the process is let go (SIGCONT) and the wait goes on. Leaves the process stopped.
 */
export async function stopWhileHoldingBatch(
  db: Kysely<Database>,
  pid: number,
  timeoutMs: number,
): Promise<HeldBatch> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ports = await tcpPortsOf(pid)
    const held = (await heldBatches(db)).find(
      (batch) => ports.has(batch.clientPort) && batch.readModelWrites.length > 0,
    )
    if (!held) {
      await sleep(10)
      continue
    }
    process.kill(pid, 'SIGSTOP')
    const waiting = await waitingOnStoppedClient(db, pid, held, deadline)
    if (waiting) return waiting
    process.kill(pid, 'SIGCONT')
  }
  throw new Error(
    `process ${pid} held no batch with read-model writes in its transaction within ${timeoutMs} ms`,
  )
}

/**
 * The batch once its backend waits for the (stopped) client: idle in its transaction, or
 * blocked sending it a result. Seen twice with no change between, so that nothing the client
 * sent before it stopped is still on its way. Undefined when the transaction ended first.
 */
async function waitingOnStoppedClient(
  db: Kysely<Database>,
  pid: number,
  held: HeldBatch,
  deadline: number,
): Promise<HeldBatch | undefined> {
  while (!(await isStopped(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop`)
    await sleep(5)
  }
  let previous: HeldBatch | undefined
  while (Date.now() < deadline) {
    const now = (await heldBatches(db)).find((batch) => batch.backendPid === held.backendPid)
    if (now?.transaction !== held.transaction) return undefined
    const waiting = now.state === 'idle in transaction' || now.waitEvent === 'ClientWrite'
    if (waiting && previous?.stateChange === now.stateChange && previous.state === now.state) return now
    previous = waiting ? now : undefined
    await sleep(20)
  }
  return undefined
}

async function isStopped(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')
}

/**
 * How transaction `xid` ended: `committed`, `aborted`, or `in progress` still after `timeoutMs`.
 * The xid is widened to an xid8 with the current epoch (a young test cluster has not wrapped).
 */
export async function transactionOutcome(
  db: Kysely<Database>,
  xid: string,
  timeoutMs: number,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows } = await sql<{ status: string | null }>`
      select pg_xact_status(
        (((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32) << 32) + ${xid}::bigint)::text::xid8
      ) as status
    `.execute(db)
    const status = rows[0]?.status ?? null
    if (status !== 'in progress' || Date.now() > deadline) return status
    await sleep(50)
  }
}
