import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ReadModelBehind } from '../errors.js'
import { waitUntilApplied } from '../projector/consistency.js'

export interface ConsistencyWait {
  /** Where the read models are read: the primary, or a streaming replica of it. */
  readonly db: Kysely<Database>
  /** The primary, which alone knows which positions were committed. */
  readonly primary: Kysely<Database>
  readonly waitMs: number
}

/**
 * Read-your-writes: returns once `readModels` have applied every event up to `consistentWith`
 * (at once when none is asked), or refuses the request with a 503 after the wait.
 */
export async function awaitConsistency(
  { db, primary, waitMs }: ConsistencyWait,
  readModels: readonly string[],
  consistentWith: number | undefined,
): Promise<void> {
  if (consistentWith === undefined) return
  if (!(await waitUntilApplied(db, readModels, consistentWith, waitMs, primary))) {
    throw new ReadModelBehind(`the read model has not yet applied position ${consistentWith}; retry shortly`)
  }
}
