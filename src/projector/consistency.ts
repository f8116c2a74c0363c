import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'
import { lastPositionAtOrBelow } from '../store/sql/positions.js'

/**
 * Waits until the live generations of `projections`, as `db` sees them, have applied every
 * event up to `position` (read-your-writes). Positions that were never committed (rolled-back
 * appends, or beyond the head) count as the last real event at or below them. False after
 * `timeoutMs`.
 *
 * `db` is where the answer will be read, a replica perhaps; which positions were committed is
 * asked of `log`, the primary: a replica that has not replayed an append yet would take its
 * position for a gap, and the wait would end before the event is there.
 */
export async function waitUntilApplied(
  db: Kysely<Database>,
  projections: readonly string[],
  position: number,
  timeoutMs = 10_000,
  log: Kysely<Database> = db,
): Promise<boolean> {
  const target = await lastPositionAtOrBelow(log, position)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows: applied } = await sql<{ position: number | null }>`
      select min(c.position) as position
        from projections p
        join projection_checkpoints c on c.name = p.name and c.generation = p.live_generation
       where p.name = any(${[...projections]})
    `.execute(db)
    if ((applied[0]?.position ?? 0) >= target) return true
    if (Date.now() >= deadline) return false
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())))
  }
}
