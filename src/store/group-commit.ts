import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { type BatchRow, MAX_BATCH } from './batch.js'
import { type AppendedRow, appendBatch, appendGroup } from './sql/append.js'

export interface GroupLimits {
  /** Requests per group: each takes a subtransaction, and PostgreSQL caches 64 per transaction. */
  readonly requests: number
  /** Events per group; a larger request still goes, alone. */
  readonly events: number
}

export const defaultGroupLimits: GroupLimits = { requests: 48, events: MAX_BATCH }

interface Waiting {
  readonly batch: readonly BatchRow[]
  resolve(rows: readonly AppendedRow[]): void
  reject(error: unknown): void
}

/** Appends one batch, all or nothing, answering with what `mt_append_events` answers. */
export type CommitBatch = (batch: readonly BatchRow[]) => Promise<readonly AppendedRow[]>

/**
 * Group commit. The log's lock lets one append commit at a time, so rather than wait for it
 * one by one, the batches that arrive while a commit is in flight wait here and go as one group
 * in the next: one lock, one statement, one WAL flush. A batch that arrives when nothing is in
 * flight goes at once, alone, through `mt_append_events` — a lone writer waits for no timer and
 * pays for no group. Each caller gets its own answer or its own refusal; only a failure of the
 * whole statement (the connection lost, a timeout) reaches every caller of the group.
 */
export function groupCommit(db: Kysely<Database>, limits: GroupLimits = defaultGroupLimits): CommitBatch {
  const waiting: Waiting[] = []
  let committing = false

  const nextGroup = (): Waiting[] => {
    const group = [waiting.shift() as Waiting]
    let events = group[0]?.batch.length ?? 0
    for (let next = waiting[0]; next && group.length < limits.requests; next = waiting[0]) {
      if (events + next.batch.length > limits.events) break
      events += next.batch.length
      group.push(waiting.shift() as Waiting)
    }
    return group
  }

  const commitGroups = async (): Promise<void> => {
    committing = true
    try {
      while (waiting.length > 0) await commit(db, nextGroup())
    } finally {
      committing = false
    }
  }

  return (batch) =>
    new Promise((resolve, reject) => {
      waiting.push({ batch, resolve, reject })
      if (!committing) void commitGroups()
    })
}

/** Settles every caller of the group; never throws. */
async function commit(db: Kysely<Database>, group: readonly Waiting[]): Promise<void> {
  const [only] = group
  if (only && group.length === 1) {
    await appendBatch(db, only.batch).then(only.resolve, only.reject)
    return
  }
  try {
    const answers = await appendGroup(
      db,
      group.map((w) => w.batch),
    )
    group.forEach((w, i) => {
      const answer = answers[i]
      if (!answer)
        w.reject(new Error(`mt_append_group answered ${answers.length} of ${group.length} requests`))
      else if (answer.rows) w.resolve(answer.rows)
      else w.reject(answer.error)
    })
  } catch (error) {
    for (const w of group) w.reject(error)
  }
}
