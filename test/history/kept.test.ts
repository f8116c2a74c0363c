import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projections } from '../../projections/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { keepHistories, newKeepState } from '../../src/history/kept.js'
import { catchUp } from '../../src/projector/catch-up.js'
import { rebuildProjection } from '../../src/projector/rebuild.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'
import { eventually } from '../support/eventually.js'
import { batches, generateHistory } from '../support/generate.js'

/**
 * Kept histories (src/history/kept.ts): made ahead of the request, answered only while what they
 * were made from still holds, and then exactly as the history computed at the request.
 */
const comparables = projections.flatMap((p) => p.comparables ?? [])
const knownAt = '2100-01-01T00:00:00.000Z'

let t: TestApp
const state = newKeepState()
let subjects: string[] = []

/** Applies the whole log to every read model, as the worker would. */
async function applyAll(): Promise<void> {
  const { db } = t.database.handle
  const { rows } = await sql<{ name: string; live_generation: number }>`
    select name, live_generation from projections
  `.execute(db)
  for (const p of projections) {
    const generation = rows.find((r) => r.name === p.name)?.live_generation as number
    await catchUp(db, t.store, p, generation, 500)
  }
}

const keep = async () =>
  keepHistories(
    { db: t.database.handle.db, comparables, marketTz: 'UTC', stopping: () => false },
    state,
    await t.store.headPosition(),
  )

async function history(subject: string, query = '') {
  const res = await t.inject(`/v1/subjects/${subject}/history?knownAt=${knownAt}${query}`)
  expect(res.statusCode, res.body).toBe(200)
  return { answer: res.headers['x-history-answer'], body: res.json() as unknown }
}

/**
 * Every subject's answer equals the computed one (a `from` before every fact always computes, and
 * bounds nothing); how many were kept.
 */
async function everyAnswerIsComputedOne(): Promise<number> {
  let kept = 0
  for (const subject of subjects) {
    const given = await history(subject)
    const computed = await history(subject, '&from=1900-01-01')
    expect(computed.answer).toBe('computed')
    expect(given.body, `${subject}, answered ${given.answer}`).toEqual(computed.body)
    if (given.answer === 'kept') kept++
  }
  return kept
}

beforeAll(async () => {
  t = await startTestApp()
  for (const batch of batches(generateHistory(11, 700, { companies: 6, sources: true }), 100))
    await t.store.append(batch)
  await applyAll()
  const { rows } = await sql<{ subject: string }>`
    select distinct subject from events order by subject
  `.execute(t.database.handle.db)
  subjects = rows.map((r) => r.subject)
})
afterAll(async () => {
  await t?.close()
})

describe('kept histories', () => {
  it('are made for every subject and answered exactly as computed', async () => {
    expect(await everyAnswerIsComputedOne()).toBe(0)
    expect(await keep()).toBe(subjects.length)
    expect(await everyAnswerIsComputedOne()).toBe(subjects.length)
    // Nothing changed: the next turn makes none again.
    expect(await keep()).toBe(0)
  })

  it('are not answered once a back-dated fact, a retraction under another subject or a new name (registered or launched) changes them, until made again', async () => {
    const { rows } = await sql<{ id: string; subject: string }>`
      select id, subject from events where type = 'funding.round_closed' order by position limit 1
    `.execute(t.database.handle.db)
    const round = rows[0] as { id: string; subject: string }
    const changes: EventInput[][] = [
      [
        {
          type: 'funding.round_closed',
          subject: 'company-1',
          occurredAt: '2019-06-01',
          data: { round: 'seed', amount: { value: '1000000', currency: 'USD' }, investors: ['company-2'] },
        },
      ],
      [
        {
          type: 'event.retracted',
          subject: 'someone-else',
          occurredAt: '2025-01',
          data: { eventId: round.id, reason: 'wrong round' },
        },
      ],
      [registration('company-2', 'Company Two Renamed')],
      [
        {
          type: 'funding.round_closed',
          subject: 'company-1',
          occurredAt: '2019-07-01',
          data: { round: 'A', amount: { value: '2000000', currency: 'USD' }, investors: ['kept-new-fund'] },
        },
      ],
      // A name that comes with another subject's launch, not a registration.
      [
        {
          type: 'product.launched',
          subject: 'kept-new-fund',
          occurredAt: '2019-01',
          data: { company: 'company-2', name: 'Kept New Fund', category: 'llm' },
        },
      ],
    ]
    for (const events of changes) {
      await t.store.append(events)
      // Appended, not yet applied: what was kept of its subject no longer counts. (A name counts
      // once applied: the histories read names from the entities read model.)
      const kept = await everyAnswerIsComputedOne()
      if (events[0]?.type !== 'product.launched') expect(kept).toBeLessThan(subjects.length)
      await applyAll()
      expect(await everyAnswerIsComputedOne()).toBeLessThan(subjects.length)
      expect(await keep()).toBeGreaterThan(0)
      expect(await everyAnswerIsComputedOne()).toBe(subjects.length)
    }
    const renamed = await history('company-1')
    expect(renamed.answer).toBe('kept')
    expect(JSON.stringify(renamed.body)).toContain('Company Two Renamed')
    expect(JSON.stringify(renamed.body)).toContain('Kept New Fund')
  })

  it('are not answered for a knownAt before what they count, nor with reportedBy, from or to', async () => {
    const subject = subjects.find((s) => s.startsWith('company-')) as string
    const before = await t.inject(`/v1/subjects/${subject}/history?knownAt=2000-01-01T00:00:00Z`)
    expect(before.headers['x-history-answer']).toBe('computed')
    expect(before.json().changes).toEqual([])
    for (const query of ['&reportedBy=2100-01-01', '&from=2020-01-01', '&to=2030-01-01'])
      expect((await history(subject, query)).answer, query).toBe('computed')
    expect((await history(subject)).answer).toBe('kept')
  })
})

describe('kept histories and a rebuild', () => {
  it('are not answered once a read model they read is rebuilt, until made again', async () => {
    await keep()
    expect(await everyAnswerIsComputedOne()).toBe(subjects.length)
    const funding = projections.find((p) => p.name === 'funding')
    if (!funding) throw new Error('the funding projection')
    await rebuildProjection(t.database.handle.db, t.store, funding)
    expect(await everyAnswerIsComputedOne()).toBe(0)
    // Every subject of the log is made again (the earlier tests added one, the retraction's).
    expect(await keep()).toBeGreaterThanOrEqual(subjects.length)
    expect(await everyAnswerIsComputedOne()).toBe(subjects.length)
  })
})

describe('keeping within bounds', () => {
  it('keeps no subject with more facts than maxFacts, and cuts a turn short while the log moves', async () => {
    const w = await startTestApp()
    try {
      await w.store.append([...generateHistory(9, 120, { companies: 3 })])
      const { db } = w.database.handle
      const { rows } = await sql<{ name: string; live_generation: number }>`
        select name, live_generation from projections
      `.execute(db)
      for (const p of projections)
        await catchUp(db, w.store, p, rows.find((r) => r.name === p.name)?.live_generation as number, 500)
      const options = { db, comparables, marketTz: 'UTC', stopping: () => false }
      const head = await w.store.headPosition()
      const kept = async () =>
        (await sql<{ n: number }>`select count(*)::int as n from kept_histories`.execute(db)).rows[0]?.n
      // An append after the turn's head: with no budget left, the turn stops before the first subject.
      await w.store.append([registration('late-co', 'Late Co')])
      const cut = newKeepState()
      expect(await keepHistories({ ...options, budgetMs: -1 }, cut, head)).toBe(0)
      expect(cut.pending.size).toBeGreaterThan(0)
      expect(await kept()).toBe(0)
      // The next turn takes up the subjects left, but none with more than one fact.
      expect(await keepHistories({ ...options, maxFacts: 1 }, cut, head)).toBeGreaterThan(0)
      const { rows: many } = await sql<{ subject: string }>`
        select k.subject from kept_histories k
         where (select count(*) from events e where e.subject = k.subject and e.type <> 'event.retracted') > 1
      `.execute(db)
      expect(many).toEqual([])
      const product = await w.inject(`/v1/subjects/model-0-0/history?knownAt=${knownAt}`)
      expect(product.headers['x-history-answer']).toBe('computed')
    } finally {
      await w.close()
    }
  })
})

describe('the history keeper in the worker', () => {
  it('keeps the histories of a log once its read models have applied it', async () => {
    const w = await startTestApp({ worker: true })
    try {
      await w.store.append([...generateHistory(5, 150, { companies: 3 })])
      await eventually(
        'every subject kept',
        async () => {
          const { rows } = await sql<{ kept: number; subjects: number }>`
            select (select count(*) from kept_histories)::int as kept,
                   (select count(distinct subject) from events)::int as subjects
          `.execute(w.database.handle.db)
          return rows[0]?.kept === rows[0]?.subjects
        },
        30_000,
      )
      const res = await w.inject(`/v1/subjects/company-0/history?knownAt=${knownAt}`)
      expect(res.headers['x-history-answer']).toBe('kept')
    } finally {
      await w.close()
    }
  })
})
