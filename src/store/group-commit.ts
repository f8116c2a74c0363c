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

/**
 * How long a group may wait for its expected companions, at most: the last commit's duration,
 * and never more than this (ms). Waiting about one commit for a full group costs less than a
 * second commit for the rest of it.
 */
export const MAX_GATHER_MS = 5

export interface GroupOptions {
  readonly limits?: GroupLimits
  /**
   * Waits up to `ms` or until `ready()` is true (checked at each arrival). Replaceable so that
   * a test can count the waits; the default is a timer that an arrival ends early.
   */
  readonly gather?: (ms: number, ready: () => boolean) => Promise<void>
}

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
 * pays for no group. After a commit that saw several callers, the next group waits up to one
 * commit's duration (at most MAX_GATHER_MS) for as many to queue: callers answered together come
 * back together, and without the wait the first back would commit alone and the rest after it,
 * two commits where one does. Each caller gets its own answer or its own refusal; only a failure
 * of the whole statement (the connection lost, a timeout) reaches every caller of the group.
 */
export function groupCommit(db: Kysely<Database>, options: GroupOptions = {}): CommitBatch {
  const limits = options.limits ?? defaultGroupLimits
  const waiting: Waiting[] = []
  let committing = false
  // How many callers the last commit saw (its group and those that queued meanwhile), and its
  // duration: writers answered together tend to come back together.
  let expected = 1
  let lastMs = 0
  let arrived = () => {}
  const gather =
    options.gather ??
    ((ms: number, ready: () => boolean) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms)
        function done() {
          clearTimeout(timer)
          arrived = () => {}
          resolve()
        }
        arrived = () => {
          if (ready()) done()
        }
      }))

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

  // After a commit that saw k callers, the next group waits (briefly) until k have queued:
  // answered together, they come back a moment apart, and the first of them would otherwise go
  // alone or with a few, the rest in the commit after. A lone writer (k = 1) never waits; after a
  // wait that found nobody, k is 1 again.
  const commitGroups = async (): Promise<void> => {
    committing = true
    try {
      for (;;) {
        if (expected > 1 && waiting.length < expected) {
          await gather(Math.min(lastMs, MAX_GATHER_MS), () => waiting.length >= expected)
        }
        if (waiting.length === 0) {
          expected = 1
          return
        }
        const group = nextGroup()
        const started = performance.now()
        await commit(db, group, () => {
          lastMs = performance.now() - started
          expected = Math.min(group.length + waiting.length, limits.requests)
        })
      }
    } finally {
      committing = false
    }
  }

  return (batch) =>
    new Promise((resolve, reject) => {
      waiting.push({ batch, resolve, reject })
      if (!committing) void commitGroups()
      else arrived()
    })
}

/**
 * Commits the group, calls `answered` once the database has answered and before any caller
 * hears of it, then settles every caller; never throws.
 */
async function commit(db: Kysely<Database>, group: readonly Waiting[], answered: () => void): Promise<void> {
  const [only] = group
  if (only && group.length === 1) {
    await appendBatch(db, only.batch).then(
      (rows) => {
        answered()
        only.resolve(rows)
      },
      (error) => {
        answered()
        only.reject(error)
      },
    )
    return
  }
  try {
    const answers = await appendGroup(
      db,
      group.map((w) => w.batch),
    )
    answered()
    group.forEach((w, i) => {
      const answer = answers[i]
      if (!answer)
        w.reject(new Error(`mt_append_group answered ${answers.length} of ${group.length} requests`))
      else if (answer.rows) w.resolve(answer.rows)
      else w.reject(answer.error)
    })
  } catch (error) {
    answered()
    for (const w of group) w.reject(error)
  }
}
