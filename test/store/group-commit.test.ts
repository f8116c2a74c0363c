import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { ConcurrencyError, IdConflict } from '../../src/errors.js'
import { toBatch } from '../../src/store/batch.js'
import { createEventStore, type EventStore } from '../../src/store/event-store.js'
import { defaultGroupLimits, groupCommit } from '../../src/store/group-commit.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange } from '../support/events.js'

let database: TestDatabase
let store: EventStore

/**
 * Which transaction stored each event. A row's `xmin` would name the subtransaction a grouped
 * request ran in, so a trigger of this file's database records the top-level `txid_current()`.
 */
beforeAll(async () => {
  database = await createTestDatabase()
  store = createEventStore(database.handle.db, catalogue, 'UTC')
  await sql`create table stored_by (position bigint primary key, txid bigint not null)`.execute(
    database.handle.db,
  )
  await sql`
    create function record_storing_transaction() returns trigger language plpgsql as $$
    begin
      insert into stored_by values (new.position, txid_current());
      return null;
    end $$
  `.execute(database.handle.db)
  await sql`
    create trigger events_stored_by after insert on events
    for each row execute function record_storing_transaction()
  `.execute(database.handle.db)
})
afterAll(() => database.drop())

/** The transaction that stored each of these positions. */
const transactionsOf = async (positions: readonly number[]): Promise<number[]> => {
  const { rows } = await sql<{ txid: number }>`
    select txid from stored_by where position = any(${positions}::bigint[]) order by position
  `.execute(database.handle.db)
  return rows.map((r) => r.txid)
}

/** Holds the log's lock in a transaction of its own until `release`: appends wait behind it. */
async function holdLogLock(): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: database.url })
  await holder.connect()
  await holder.query('begin')
  await holder.query('select pg_advisory_xact_lock(7388460240563250001)')
  return {
    async release() {
      await holder.query('commit')
      await holder.end()
    },
  }
}

const versionsOf = async (subject: string) =>
  (await store.query({ subject, limit: 100 })).map((e) => ({
    version: e.version,
    amount: (e.data as { amount: string }).amount,
  }))

describe('appends that arrive while another commits', () => {
  it('are committed together: a hundred concurrent requests take a handful of transactions, each group bounded', async () => {
    const requests = Array.from({ length: 100 }, (_, i) => [priceChange(`grouped-${i % 7}`, String(i))])
    const results = await Promise.all(requests.map((events) => store.append(events)))
    const positions = results.map((r) => (r.events[0] as { position: number }).position)
    const transactions = await transactionsOf(positions)

    const sizes = new Map<number, number>()
    for (const txid of transactions) sizes.set(txid, (sizes.get(txid) ?? 0) + 1)
    // The first goes alone; the other 99 queue behind it and go in groups of at most the bound.
    expect(sizes.size).toBe(1 + Math.ceil(99 / defaultGroupLimits.requests))
    expect(Math.max(...sizes.values())).toBe(defaultGroupLimits.requests)
    // Each caller's answer is its own event, in the order the requests were made.
    expect(results.map((r) => (r.events[0]?.data as { amount?: string } | undefined)?.amount)).toEqual(
      requests.map((_, i) => String(i)),
    )
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
  })

  it('each keep their own refusal: a stale expectedVersion, an id clash and a re-post in one group leave the neighbours stored', async () => {
    const subject = `isolated-${randomUUID()}`
    const stored = (await store.append([priceChange(subject, '1', { id: randomUUID() })])).events[0]
    const clashingId = randomUUID()
    await store.append([priceChange('clash-target', '1', { id: clashingId })])

    const lock = await holdLogLock()
    // In flight alone, waiting for the lock; everything after it queues into one group.
    const first = store.append([priceChange('ahead', '1')])
    const group: Record<string, EventInput[]> = {
      expectsOne: [priceChange(subject, '2', { expectedVersion: 1 })],
      staleExpectation: [priceChange(subject, '3', { expectedVersion: 1 })],
      idClash: [priceChange('clash-neighbour', '1'), priceChange('clash-target', '2', { id: clashingId })],
      rePost: [priceChange(subject, '1', { id: stored?.id })],
      unguarded: [priceChange(subject, '4'), priceChange('unguarded-other', '1')],
    }
    const settled = Promise.allSettled(Object.values(group).map((events) => store.append(events)))
    await lock.release()
    await first
    const [expectsOne, staleExpectation, idClash, rePost, unguarded] = await settled

    expect(staleExpectation).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ index: 0, subject, expectedVersion: 1, actualVersion: 2 }),
    })
    expect((staleExpectation as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError)
    expect(idClash).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ index: 1 }) })
    expect((idClash as PromiseRejectedResult).reason).toBeInstanceOf(IdConflict)
    expect(await store.query({ subject: 'clash-neighbour', limit: 10 })).toEqual([])

    if (
      expectsOne?.status !== 'fulfilled' ||
      rePost?.status !== 'fulfilled' ||
      unguarded?.status !== 'fulfilled'
    ) {
      throw new Error(`a neighbour was refused: ${JSON.stringify([expectsOne, rePost, unguarded])}`)
    }
    expect(rePost.value).toMatchObject({ appended: 0, events: [{ position: stored?.position, version: 1 }] })
    expect(expectsOne.value.events.map((e) => e.version)).toEqual([2])
    expect(unguarded.value.events.map((e) => [e.subject, e.version])).toEqual([
      [subject, 3],
      ['unguarded-other', 1],
    ])
    expect(await versionsOf(subject)).toEqual([
      { version: 1, amount: '1' },
      { version: 2, amount: '2' },
      { version: 3, amount: '4' },
    ])

    // One transaction stored the whole group, in request order.
    const positions = [...expectsOne.value.events, ...unguarded.value.events].map((e) => e.position)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    expect(new Set(await transactionsOf(positions)).size).toBe(1)
  })

  it('refuse a stale expectedVersion among new events alone: the group is then stored request by request', async () => {
    const subject = `stale-${randomUUID()}`
    await store.append([priceChange(subject, '1')])

    const lock = await holdLogLock()
    const first = store.append([priceChange('ahead', '2')])
    const settled = Promise.allSettled([
      store.append([priceChange(subject, '2')]),
      store.append([priceChange(subject, '3', { expectedVersion: 1 }), priceChange('stale-neighbour', '1')]),
      store.append([priceChange(subject, '4', { expectedVersion: 2 })]),
    ])
    await lock.release()
    await first
    const [unguarded, stale, current] = await settled

    expect(stale).toMatchObject({
      status: 'rejected',
      reason: expect.objectContaining({ index: 0, subject, expectedVersion: 1, actualVersion: 2 }),
    })
    expect((stale as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError)
    expect(await store.query({ subject: 'stale-neighbour', limit: 10 })).toEqual([])
    if (unguarded?.status !== 'fulfilled' || current?.status !== 'fulfilled') {
      throw new Error(`a neighbour was refused: ${JSON.stringify([unguarded, current])}`)
    }
    expect(await versionsOf(subject)).toEqual([
      { version: 1, amount: '1' },
      { version: 2, amount: '2' },
      { version: 3, amount: '4' },
    ])
    const positions = [...unguarded.value.events, ...current.value.events].map((e) => e.position)
    expect(new Set(await transactionsOf(positions)).size).toBe(1)
  })

  it('answer each request once when the one-statement insert fails part-way and the group is retried request by request', async () => {
    const row = (subject: string, idx: number, precision = 'day') => ({
      idx,
      id: randomUUID(),
      type: 'price.changed',
      schema_version: 1,
      subject,
      occurred_at: '2024-05-21',
      precision,
      effective_from: '2024-05-21T00:00:00Z',
      data: { component: 'input', amount: '1', currency: 'CNY', unit: '1K tokens' },
      source: null,
      expected_version: null,
    })
    const subject = `partway-${randomUUID()}`
    // The second request breaks a check constraint of the log after the first one's rows.
    const requests = [[row(subject, 0), row(subject, 1)], [row(subject, 0, 'week')], [row(subject, 0)]]
    const { rows } = await sql<{ request: number; idx: number | null; refusal: { code: string } | null }>`
      select request, idx, refusal from mt_append_group(${JSON.stringify(requests)}::jsonb)
    `.execute(database.handle.db)

    expect(rows.map((r) => [r.request, r.idx, r.refusal?.code ?? null])).toEqual([
      [0, 0, null],
      [0, 1, null],
      [1, null, '23514'],
      [2, 0, null],
    ])
    expect(await store.query({ subject, limit: 10 })).toHaveLength(3)
  })

  it('gather the writers a commit answered: ten writers in a closed loop take one commit per round, not two', async () => {
    const rounds = 12
    const positions: number[] = []
    await Promise.all(
      Array.from({ length: 10 }, async (_, writer) => {
        for (let round = 0; round < rounds; round++) {
          const { events } = await store.append([priceChange(`loop-${writer}`, String(round))])
          positions.push((events[0] as { position: number }).position)
        }
      }),
    )
    // Without gathering, the first writer answered goes alone and the other nine follow it in the
    // next commit: about two commits per round.
    const commits = new Set(await transactionsOf(positions)).size
    expect(commits).toBeGreaterThanOrEqual(rounds)
    expect(commits).toBeLessThanOrEqual(rounds + 3)
  })

  it('make a lone writer wait for nobody: sequential appends never gather', async () => {
    let waits = 0
    const commit = groupCommit(database.handle.db, {
      gather: async () => {
        waits++
      },
    })
    for (let i = 0; i < 20; i++) await commit(toBatch([priceChange('lone', String(i))], catalogue, 'UTC'))
    expect(waits).toBe(0)
    // Concurrent callers are gathered after a group of more than one.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        commit(toBatch([priceChange('pair', String(i))], catalogue, 'UTC')),
      ),
    )
    expect(waits).toBeGreaterThan(0)
  })
})
