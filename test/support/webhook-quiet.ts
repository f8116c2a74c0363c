import { sql } from 'kysely'
import type { TestApp } from './app.js'

/**
 * Resolves once nothing more can be sent to these subscriptions: the dispatcher has passed the
 * head of the log, no replay of theirs is unfinished and none of their deliveries is pending
 * (a delivered or failed one has no job). A test that then finds a receiver without a request
 * knows it will not come later.
 */
export async function waitUntilQuiet(
  t: TestApp,
  subscriptionIds: readonly string[],
  timeoutMs = 20_000,
): Promise<void> {
  const head = await t.store.headPosition()
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows } = await sql<{ dispatched: number; replays: number; pending: number }>`
      select
        (select position from webhook_dispatcher) as dispatched,
        (select count(*)::int from webhook_replays
          where subscription_id = any(${subscriptionIds}::uuid[]) and completed_at is null) as replays,
        (select count(*)::int from webhook_deliveries
          where subscription_id = any(${subscriptionIds}::uuid[]) and status = 'pending') as pending
    `.execute(t.database.handle.db)
    const state = rows[0]
    if (state && Number(state.dispatched) >= head && state.replays === 0 && state.pending === 0) return
    if (Date.now() > deadline) {
      throw new Error(
        `deliveries were still under way after ${timeoutMs} ms: ${JSON.stringify({ head, ...state })}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
