import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import type { Database } from '../../src/db/schema.js'
import { applyNextBatch, type BatchOptions } from '../../src/projector/catch-up.js'
import { ensureProjections } from '../../src/projector/generations.js'
import { generationSchema, type Projection } from '../../src/projector/projection.js'
import { createEventStore, type EventStore } from '../../src/store/event-store.js'
import { createTestDatabase } from '../support/database.js'
import { batches, generateHistory } from '../support/generate.js'
import { differencesFromRebuild } from '../support/rebuild-compare.js'

/**
 * Exactly-once projection rests on two things in `applyNextBatch` (src/projector/catch-up.ts):
 * the checkpoint row is locked (FOR UPDATE SKIP LOCKED), so one runner at a time takes a batch,
 * and the batch's read-model writes commit in the transaction that moves the checkpoint, so a
 * batch that fails half-way leaves nothing behind. Each is shown here next to a variant without
 * it, judged by the same check: every table equal to a rebuild from scratch, duplicates counted.
 */

const batchSize = 50
const generation = 1

interface Scene {
  readonly db: Kysely<Database>
  readonly store: EventStore
  readonly head: number
}

/** A fresh database with 1,000 generated events in the log and every projection at position 0. */
async function withHistory(run: (scene: Scene) => Promise<void>): Promise<void> {
  const database = await createTestDatabase()
  try {
    const db = database.handle.db
    const store = createEventStore(db, catalogue, 'UTC')
    await ensureProjections(db, projections)
    for (const batch of batches(generateHistory(17, 1000), 250)) await store.append(batch)
    await run({ db, store, head: await store.headPosition() })
  } finally {
    await database.drop()
  }
}

/** Rows that differ from a rebuild, per table, for every projection. */
async function differences({ db, store }: Scene): Promise<Record<string, number>> {
  const result: Record<string, number> = {}
  for (const projection of projections) {
    for (const [table, n] of Object.entries(await differencesFromRebuild(db, store, projection))) {
      result[`${projection.name}.${table}`] = n
    }
  }
  return result
}

const none = () =>
  Object.fromEntries(
    projections.flatMap((p) => Object.keys(p.tables).map((table) => [`${p.name}.${table}`, 0])),
  )

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)

/**
 * Applies batches until the checkpoint reaches the head, as the projector's loop does, retrying
 * a batch that fails (a deadlock between runners, or a failure the test injects), with a short
 * random pause between batches so that other runners get their turn. Bounded. Answers how many
 * batches this runner applied.
 */
async function runUntilHead(
  scene: Scene,
  projection: Projection,
  options: BatchOptions = {},
  failures = { injected: 0 },
): Promise<number> {
  let applied = 0
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    try {
      const result = await applyNextBatch(scene.db, scene.store, projection, generation, batchSize, options)
      if (result.applied > 0) applied++
      if (result.acquired && result.position >= scene.head) return applied
      await sleep(Math.random() * 5)
    } catch (error) {
      if ((error as Error).message === injectedFailure) failures.injected++
      else if ((error as { code?: string }).code !== '40P01') throw error
    }
  }
  throw new Error(`${projection.name} did not reach ${scene.head} within 60 s`)
}

/**
 * Two runners on each projection at once, each pausing inside its batch so that they overlap.
 * Answers, per projection, how many batches each runner applied.
 */
async function twoRunners(scene: Scene, options: BatchOptions): Promise<Record<string, number[]>> {
  const shares: Record<string, number[]> = {}
  for (const projection of projections) {
    const slow: Projection = {
      ...projection,
      async apply(db, events, context) {
        await projection.apply(db, events, context)
        await sleep(10)
      },
      ...(projection.applyFromLog && {
        async applyFromLog(db, batch, context) {
          const applied = (await projection.applyFromLog?.(db, batch, context)) ?? 0
          await sleep(10)
          return applied
        },
      }),
    }
    shares[projection.name] = await Promise.all([
      runUntilHead(scene, slow, options),
      runUntilHead(scene, slow, options),
    ])
  }
  return shares
}

const injectedFailure = 'injected: the checkpoint did not move'

/**
 * Makes every other move of a live checkpoint fail, so each batch's first attempt fails after its
 * read-model writes, at the last step before commit — as a worker killed there would. The count
 * is a sequence, which a rollback does not undo.
 */
async function failEveryOtherCheckpointMove(db: Kysely<Database>): Promise<() => Promise<void>> {
  await sql`create sequence checkpoint_moves`.execute(db)
  await sql
    .raw(`
    create function fail_every_other_checkpoint_move() returns trigger language plpgsql as $$
    begin
      if nextval('checkpoint_moves') % 2 = 1 then raise exception '${injectedFailure}'; end if;
      return new;
    end $$`)
    .execute(db)
  await sql`
    create trigger fail_every_other_checkpoint_move before update on projection_checkpoints
    for each row when (new.generation = 1) execute function fail_every_other_checkpoint_move()
  `.execute(db)
  return async () => {
    await sql`drop trigger fail_every_other_checkpoint_move on projection_checkpoints`.execute(db)
    await sql`drop function fail_every_other_checkpoint_move()`.execute(db)
  }
}

/**
 * The projection with its writes committed in a transaction of their own before the batch's
 * transaction goes on: what the projector would do if read models and checkpoint were not
 * written together.
 */
function writingApart(scene: Scene, projection: Projection): Projection {
  const apart = <T>(write: (own: Kysely<unknown>) => Promise<T>): Promise<T> =>
    scene.db.transaction().execute(async (own) => {
      const searchPath = `${generationSchema(projection.name, generation)}, public`
      await sql`select set_config('search_path', ${searchPath}, true)`.execute(own)
      return write(own as unknown as Kysely<unknown>)
    })
  return {
    ...projection,
    async apply(_, events, context) {
      await apart((own) => projection.apply(own, events, context))
    },
    ...(projection.applyFromLog && {
      async applyFromLog(_, batch, context) {
        return apart(async (own) => (await projection.applyFromLog?.(own, batch, context)) ?? 0)
      },
    }),
  }
}

/** Runs every projection to the head with each batch failing once at its checkpoint; answers how many failed. */
async function failOnceAtEveryCheckpoint(scene: Scene, apart: boolean): Promise<number> {
  const restore = await failEveryOtherCheckpointMove(scene.db)
  const failures = { injected: 0 }
  try {
    for (const projection of projections) {
      await runUntilHead(scene, apart ? writingApart(scene, projection) : projection, {}, failures)
    }
  } finally {
    await restore()
  }
  return failures.injected
}

describe('projections applied exactly once', () => {
  it('two runners on one projection at once apply each event once: every read model equals a rebuild', {
    timeout: 120_000,
  }, async () => {
    await withHistory(async (scene) => {
      const shares = await twoRunners(scene, {})
      // Both runners took part in every projection: the lock shared the batches out, once each.
      for (const [name, [first, second]] of Object.entries(shares)) {
        expect(first, name).toBeGreaterThan(0)
        expect(second, name).toBeGreaterThan(0)
      }
      expect(await differences(scene)).toEqual(none())
    })
  })

  it('would apply batches twice without the checkpoint row lock, and the rebuild comparison shows it', {
    timeout: 120_000,
  }, async () => {
    await withHistory(async (scene) => {
      await twoRunners(scene, { unlockedCheckpointForTests: true })
      expect(total(await differences(scene))).toBeGreaterThan(0)
    })
  })

  it('a batch that fails as its checkpoint moves, after its writes, leaves every read model equal to a rebuild', {
    timeout: 120_000,
  }, async () => {
    await withHistory(async (scene) => {
      expect(await failOnceAtEveryCheckpoint(scene, false)).toBeGreaterThan(0)
      expect(await differences(scene)).toEqual(none())
    })
  })

  it('would apply batches twice if read-model writes committed apart from the checkpoint, and the comparison shows it', {
    timeout: 120_000,
  }, async () => {
    await withHistory(async (scene) => {
      expect(await failOnceAtEveryCheckpoint(scene, true)).toBeGreaterThan(0)
      expect(total(await differences(scene))).toBeGreaterThan(0)
    })
  })
})
