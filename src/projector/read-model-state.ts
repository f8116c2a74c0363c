import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'

/**
 * Where each projection's live generation stands. Read-model tables change only together with
 * these rows (a batch moves its checkpoint in the same transaction; a rebuild swaps the live
 * generation in the same transaction as the views), so two databases that report states where
 * one includes the other answer every read-model query alike, or the first one more recently.
 */
export type ReadModelState = ReadonlyMap<string, { readonly generation: number; readonly position: number }>

export async function readModelState(db: Kysely<Database>): Promise<ReadModelState> {
  const { rows } = await sql<{ name: string; generation: number; position: number }>`
    select p.name, p.live_generation as generation, c.position
      from projections p
      join projection_checkpoints c on c.name = p.name and c.generation = p.live_generation
  `.execute(db)
  return new Map(rows.map((row) => [row.name, { generation: row.generation, position: row.position }]))
}

/** True when `later` has applied everything `earlier` had: a newer generation, or the same one as far. */
export function includesState(later: ReadModelState, earlier: ReadModelState): boolean {
  for (const [name, was] of earlier) {
    const now = later.get(name)
    if (!now || now.generation < was.generation) return false
    if (now.generation === was.generation && now.position < was.position) return false
  }
  return true
}

/** A streaming replica's read models against the primary's. */
export interface ReplicaWatch {
  /** What the primary's read models have applied now. */
  primaryState(): Promise<ReadModelState>
  /** True once the replica's read models have applied at least `state`. */
  replicaIncludes(state: ReadModelState): Promise<boolean>
}

export function replicaWatch(primary: Kysely<Database>, replica: Kysely<Database>): ReplicaWatch {
  return {
    primaryState: () => readModelState(primary),
    replicaIncludes: async (state) => includesState(await readModelState(replica), state),
  }
}
