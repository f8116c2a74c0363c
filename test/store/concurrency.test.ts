import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { ConcurrencyError } from '../../src/errors.js'
import { createEventStore, type EventStore } from '../../src/store/event-store.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { connectWithSlowAppends } from '../support/slow-append.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

/** Appends for one of the writers. */
type Append = (events: readonly EventInput[], writer: number) => Promise<readonly RecordedEvent[]>

interface Writers {
  readonly writers: number
  readonly batchesPerWriter: number
  readonly batchSize: (writer: number, batch: number) => number
}

/** Eight writers of batches of 1–5 events, 40 batches each. */
const batchWriters: Writers = {
  writers: 8,
  batchesPerWriter: 40,
  batchSize: (writer, batch) => 1 + ((writer + batch) % 5),
}

/** A hundred writers of one event per call, as many concurrent requests each storing one fact. */
const singleEventWriters = (batchesPerWriter: number): Writers => ({
  writers: 100,
  batchesPerWriter,
  batchSize: () => 1,
})

interface FollowReport {
  readonly acknowledged: number
  readonly seen: number
  /** Acknowledged events the reader never saw, each with the position it had already read past it to. */
  readonly skipped: ReadonlyArray<{ readonly position: number; readonly passedAt: number }>
  /** True when every acknowledged event was seen once, in position order, and nothing else was. */
  readonly exact: boolean
}

let run = 0

/**
 * Writers (by default eight, with batches of 1–5 events) append through `append`, each on
 * subjects of its own (so that nothing but the log's lock orders them), while a reader follows the log from its head
 * by position, as every consumer does. Once the writers are done the reader reads on until it
 * has reached the last acknowledged position — an empty page alone proves nothing, its snapshot
 * may predate the last commit. Then every acknowledged event the reader did not see is a skip.
 */
async function followAndCheck(append: Append, shape: Writers = batchWriters): Promise<FollowReport> {
  const { writers, batchesPerWriter, batchSize } = shape
  const prefix = `run-${++run}`
  const acknowledged: RecordedEvent[] = []
  const start = await t.store.headPosition()
  let lastAcknowledged: number | undefined

  const write = async (writer: number) => {
    for (let batch = 0; batch < batchesPerWriter; batch++) {
      const size = batchSize(writer, batch)
      const events = Array.from({ length: size }, (_, i) =>
        priceChange(`${prefix}-writer-${writer}-${(batch + i) % 3}`, String(writer * 1000 + batch)),
      )
      acknowledged.push(...(await append(events, writer)))
    }
  }

  const seen: RecordedEvent[] = []
  const follow = async () => {
    let checkpoint = start
    // Bounded: stops at the last acknowledged position, or after 60 s.
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const page = await t.store.readLogAfter(checkpoint, 37)
      for (const event of page) {
        checkpoint = event.position
        seen.push(event)
      }
      if (lastAcknowledged !== undefined && checkpoint >= lastAcknowledged) return
      if (page.length === 0) await sleep(1)
    }
    throw new Error(`the reader did not reach position ${lastAcknowledged} within 60 s`)
  }

  const reader = follow()
  try {
    await Promise.all(Array.from({ length: writers }, (_, w) => write(w)))
  } finally {
    lastAcknowledged = Math.max(start, ...acknowledged.map((e) => e.position))
  }
  await reader

  const seenIds = new Set(seen.map((e) => e.id))
  const skipped = acknowledged
    .filter((e) => !seenIds.has(e.id))
    .map((e) => ({
      position: e.position,
      passedAt: seen.find((s) => s.position > e.position)?.position ?? Number.NaN,
    }))
    .sort((a, b) => a.position - b.position)
  const byPosition = [...acknowledged].sort((a, b) => a.position - b.position).map((e) => e.id)
  return {
    acknowledged: acknowledged.length,
    seen: seen.length,
    skipped,
    exact: seen.length === byPosition.length && seen.every((e, i) => e.id === byPosition[i]),
  }
}

/**
 * Runs `use` with real stores on connections whose appends pause before they commit
 * (test/support/slow-append.ts). Each store groups only its own appends, so `processes` stores
 * stand for as many API processes: between them, only the log's lock orders the commits.
 */
async function withSlowAppends<T>(
  withoutLogLock: boolean,
  processes: number,
  use: (stores: readonly EventStore[]) => Promise<T>,
): Promise<T> {
  const handle = await connectWithSlowAppends(t.database.url, { withoutLogLock })
  try {
    return await use(
      Array.from({ length: processes }, () => createEventStore(handle.db, catalogue, t.config.marketTz)),
    )
  } finally {
    await handle.close()
  }
}

/** Each writer appends through one of the stores, in turn. */
const through =
  (stores: readonly EventStore[]): Append =>
  (events, writer) =>
    (stores[writer % stores.length] as EventStore).append(events).then((r) => r.events)

/** One store per writer by default: no two writers' appends share a group. */
const followWithSlowAppends = (withoutLogLock: boolean, shape = batchWriters, processes = shape.writers) =>
  withSlowAppends(withoutLogLock, processes, (stores) => followAndCheck(through(stores), shape))

/** Four writers at once append to one subject, each expecting the version it had before the race. */
async function raceOnExpectedVersion(
  stores: readonly EventStore[],
  subject: string,
): Promise<PromiseSettledResult<unknown>[]> {
  await t.store.append([priceChange(subject, '1')])
  // Four connections open first, so that the appends start together rather than one per connect.
  await Promise.all(stores.map((store) => store.headPosition()))
  return Promise.allSettled(
    ['2', '3', '4', '5'].map((amount, i) =>
      (stores[i % stores.length] as EventStore).append([
        priceChange(subject, amount, { expectedVersion: 1 }),
      ]),
    ),
  )
}

const refusals = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown)

describe('the log under concurrent writers', () => {
  it('gives a reader following it every acknowledged event exactly once, in position order', {
    timeout: 90_000,
  }, async () => {
    const report = await followAndCheck((events) => t.store.append(events).then((r) => r.events))
    expect(report.skipped).toEqual([])
    expect(report.exact).toBe(true)
  })

  it('gives the reader every event even when each append pauses between drawing positions and committing', {
    timeout: 90_000,
  }, async () => {
    const report = await followWithSlowAppends(false)
    expect(report.skipped).toEqual([])
    expect(report.exact).toBe(true)
  })

  it('would skip events without the log lock: the same check catches a reader passing events that commit later', {
    timeout: 90_000,
  }, async () => {
    const report = await followWithSlowAppends(true)
    expect(report.skipped.length).toBeGreaterThan(0)
    for (const skip of report.skipped) expect(skip.passedAt).toBeGreaterThan(skip.position)
    // The skipped events are in the log: they committed after the reader had moved past them.
    const stored = await t.store.findByPositions(report.skipped.map((s) => s.position))
    expect(stored.map((e) => e.position)).toEqual(report.skipped.map((s) => s.position))
    expect(report.exact).toBe(false)
  })

  it('gives the reader every event of a hundred single-event writers whose appends one store commits in groups', {
    timeout: 90_000,
  }, async () => {
    const append: Append = (events) => t.store.append(events).then((r) => r.events)
    const report = await followAndCheck(append, singleEventWriters(10))
    expect(report.acknowledged).toBe(1000)
    expect(report.skipped).toEqual([])
    expect(report.exact).toBe(true)
  })

  it('gives the reader every event of a hundred single-event writers on four stores whose groups pause before committing', {
    timeout: 90_000,
  }, async () => {
    const report = await followWithSlowAppends(false, singleEventWriters(4), 4)
    expect(report.acknowledged).toBe(400)
    expect(report.skipped).toEqual([])
    expect(report.exact).toBe(true)
  })

  it('would skip events of grouped writers without the log lock: four stores commit their groups out of order', {
    timeout: 90_000,
  }, async () => {
    const report = await followWithSlowAppends(true, singleEventWriters(4), 4)
    expect(report.skipped.length).toBeGreaterThan(0)
    for (const skip of report.skipped) expect(skip.passedAt).toBeGreaterThan(skip.position)
    expect(report.exact).toBe(false)
  })

  it('gives every subject gap-free versions 1..n', async () => {
    const versions = new Map<string, number[]>()
    for await (const event of t.store.stream({})) {
      versions.set(event.subject, [...(versions.get(event.subject) ?? []), event.version])
    }
    for (const list of versions.values()) {
      expect(list).toEqual(list.map((_, i) => i + 1))
    }
  })

  it('never shows a later position while an earlier append is still uncommitted', async () => {
    const slow = new pg.Client({ connectionString: t.database.url })
    await slow.connect()
    try {
      const head = await t.store.headPosition()
      // An append that has drawn its positions but not yet committed.
      await slow.query('begin')
      const batch = [
        {
          idx: 0,
          id: crypto.randomUUID(),
          type: 'price.changed',
          schema_version: 1,
          subject: 'slow',
          occurred_at: '2024',
          precision: 'year',
          effective_from: '2024-01-01T00:00:00Z',
          data: { component: 'input', amount: '1', currency: 'CNY', unit: '1K tokens' },
          source: null,
          expected_version: null,
        },
      ]
      await slow.query('select * from mt_append_events($1::jsonb)', [JSON.stringify(batch)])

      // A second writer starts meanwhile; it must wait rather than commit a later position first.
      let fastDone = false
      const fast = t.store.append([priceChange('fast', '2')]).then((result) => {
        fastDone = true
        return result
      })
      await sleep(300)
      expect(fastDone).toBe(false)
      expect(await t.store.readLogAfter(head, 10)).toEqual([])

      await slow.query('commit')
      const fastEvent = (await fast).events[0] as RecordedEvent
      const visible = await t.store.readLogAfter(head, 10)
      expect(visible.map((e) => e.subject)).toEqual(['slow', 'fast'])
      expect(fastEvent.position).toBeGreaterThan(visible[0]?.position ?? Number.POSITIVE_INFINITY)
    } finally {
      await slow.end()
    }
  })
})

describe('writers racing with the same expectedVersion', () => {
  it('let exactly one win and tell the others the version moved, even when appends overlap', async () => {
    const results = await withSlowAppends(false, 4, (stores) => raceOnExpectedVersion(stores, 'race-locked'))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = refusals(results)
    expect(refused).toHaveLength(3)
    for (const reason of refused) expect(reason).toBeInstanceOf(ConcurrencyError)
  })

  it('would meet the unique (subject, version) constraint instead without the log lock: the same race shows it', async () => {
    const results = await withSlowAppends(true, 4, (stores) => raceOnExpectedVersion(stores, 'race-unlocked'))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = refusals(results)
    expect(refused.some((reason) => (reason as { code?: string }).code === '23505')).toBe(true)
  })
})
