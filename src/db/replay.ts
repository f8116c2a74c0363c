import { type Kysely, sql } from 'kysely'
import type { Database } from './schema.js'

/** How far a streaming replica has replayed the primary's write-ahead log. */
export interface ReplayWatch {
  /** A WAL position at or after every change the primary has committed so far. */
  primaryPosition(): Promise<string>
  /** True once the replica has replayed the WAL up to `lsn`: every change before it is visible there. */
  replayedUpTo(lsn: string): Promise<boolean>
}

export function replayWatch(primary: Kysely<Database>, replica: Kysely<Database>): ReplayWatch {
  return {
    async primaryPosition() {
      // The insert position, not the flush position: with synchronous_commit=off a commit that
      // has already notified may not be flushed yet, but it always lies before the insert position.
      const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(
        primary,
      )
      const lsn = rows[0]?.lsn
      if (!lsn) throw new Error('the primary reported no WAL position')
      return lsn
    },
    async replayedUpTo(lsn) {
      // A "replica" that is not in recovery (a primary standing in for one) has everything.
      const { rows } = await sql<{ replayed: boolean | null }>`
        select case when pg_is_in_recovery() then pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn
                    else true end as replayed
      `.execute(replica)
      return rows[0]?.replayed === true
    },
  }
}
