import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { ensureProjections } from '../../src/projector/generations.js'
import { projectionStatuses } from '../../src/projector/status.js'
import { createEventStore, type EventStore } from '../../src/store/event-store.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { batches, generateHistory } from '../support/generate.js'
import { stopWhileHoldingBatch, transactionOutcome } from '../support/held-batch.js'
import { tcpPortsOf } from '../support/os-processes.js'
import { runScript } from '../support/process.js'
import { differencesFromRebuild } from '../support/rebuild-compare.js'

/**
 * Real worker processes on one database: two at once, concurrent writers, and a kill -9 of one
 * while PostgreSQL shows it holding a batch (its checkpoint row locked by its open transaction).
 */
let database: TestDatabase
let store: EventStore
const children: Array<ReturnType<typeof runScript>> = []

beforeAll(async () => {
  database = await createTestDatabase()
  store = createEventStore(database.handle.db, catalogue, 'UTC')
  await ensureProjections(database.handle.db, projections)
})
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await database.drop()
})

function startWorkerProcess() {
  const child = runScript('src/main.ts', { DATABASE_URL: database.url, LOG_LEVEL: 'warn' }, ['worker'])
  children.push(child)
  return child
}

async function waitUntilCaughtUp(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const head = await store.headPosition()
  while (Date.now() < deadline) {
    const statuses = await projectionStatuses(database.handle.db)
    if (statuses.length === projections.length && statuses.every((s) => s.position === head)) return
    await sleep(100)
  }
  throw new Error(`projections did not reach ${head} within ${timeoutMs} ms`)
}

async function appendAll(events: Iterable<EventInput>, batchSize: number): Promise<void> {
  for (const batch of batches(events, batchSize)) await store.append(batch)
}

describe('worker processes', () => {
  it('apply every event exactly once with two workers, concurrent writers and a worker killed mid-batch', {
    timeout: 240_000,
  }, async () => {
    await appendAll(generateHistory(1, 20_000), 1000)
    const first = startWorkerProcess()
    const second = startWorkerProcess()

    // Writers keep appending on many subjects while the workers run: enough that the first worker,
    // however late it starts beside the second, still finds batches to apply.
    const writers = [2, 3, 4].map((seed) => appendAll(generateHistory(seed, 15_000, { companies: 30 }), 25))
    // Start-up included: a busy machine may take a while to load the worker.
    const held = await stopWhileHoldingBatch(database.handle.db, first.pid as number, 90_000)
    expect(await tcpPortsOf(first.pid as number)).toContain(held.clientPort)
    expect(projections.map((p) => p.name)).toContain(held.projection)
    expect(held.readModelWrites.length).toBeGreaterThan(0)
    first.kill('SIGKILL')
    // The half-applied batch is rolled back with its checkpoint: its transaction did not commit.
    expect(await transactionOutcome(database.handle.db, held.transaction, 30_000)).toBe('aborted')
    startWorkerProcess()
    await Promise.all(writers)

    await waitUntilCaughtUp(90_000)
    second.kill('SIGTERM')
    for (const projection of projections) {
      const differences = await differencesFromRebuild(database.handle.db, store, projection)
      expect(differences, projection.name).toEqual(
        Object.fromEntries(Object.keys(projection.tables).map((table) => [table, 0])),
      )
    }
  })
})
