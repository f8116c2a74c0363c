import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { from as copyFrom } from 'pg-copy-streams'
import { catalogue } from '../events/index.js'
import type { EventInput } from '../src/catalogue/envelope.js'
import { createEventStore } from '../src/store/event-store.js'
import { openEmmett } from './peer-emmett.js'
import { type BenchServer, median, rate, ratio } from './support.js'

export interface AppendFigures {
  readonly appendSinglePerSec: number
  readonly rawSinglePerSec: number
  readonly emmettSinglePerSec: number
  readonly appendSingleRatio: number
  readonly appendSingleVsEmmett: number
  readonly appendBatchEventsPerSec: number
  readonly rawBatchRowsPerSec: number
  readonly copyBatchRowsPerSec: number
  readonly emmettBatchEventsPerSec: number
  readonly appendBatchRatio: number
  readonly appendBatchVsCopy: number
  readonly appendBatchVsEmmett: number
  readonly readLogPerSec: number
  readonly emmettReadPerSec: number
  readonly readVsEmmett: number
}

/**
 * Appends through the store vs. raw INSERTs into a table of the same shape (same columns,
 * unique id and (subject, version), same indexes), COPY into it, and Emmett's PostgreSQL event
 * store (in a database of its own on the same server); one client, sequential calls, the
 * workloads interleaved over three rounds. Then the global read: our projector's reader vs.
 * Emmett's readMessagesBatch over logs of the same size.
 */
export async function measureAppend(server: BenchServer, quick: boolean): Promise<AppendFigures> {
  const singles = quick ? 300 : 2000
  const batches = quick ? 15 : 60
  const readSize = quick ? 20_000 : 100_000
  const rounds = 3

  const db = await server.newDatabase()
  const peerDb = await server.newDatabase()
  const store = createEventStore(db.handle.db, catalogue, 'UTC')
  const peer = await openEmmett(peerDb.url)
  const pool = db.handle.pool
  await pool.query(`
    create table raw_events (like events including defaults including constraints including indexes);
    alter table raw_events alter column position add generated always as identity;
  `)

  const subjects = Array.from({ length: 200 }, (_, i) => `product-${i}`)
  let counter = 0
  // Single appends go round 200 subjects; a batch of 100 goes to one subject (one stream, which
  // is what an Emmett append is), the same for every store in the comparison.
  let batchNo = 0
  const nextEvent = (subject?: string): EventInput => {
    counter++
    return {
      id: randomUUID(),
      type: 'price.changed',
      subject: subject ?? (subjects[counter % subjects.length] as string),
      occurredAt: '2024-05-21',
      data: { component: 'input', amount: String(counter % 997), currency: 'CNY', unit: '1K tokens' },
    }
  }
  const rawVersions = new Map<string, number>()
  const rawRow = (event: EventInput) => {
    const version = (rawVersions.get(event.subject) ?? 0) + 1
    rawVersions.set(event.subject, version)
    return [
      event.id,
      event.type,
      1,
      event.subject,
      version,
      event.occurredAt,
      'day',
      '2024-05-21T00:00:00Z',
      JSON.stringify(event.data),
    ]
  }
  const columns =
    'id, type, schema_version, subject, version, occurred_at, precision, effective_from, recorded_at, data'
  const rowSql = (i: number) => {
    const p = i * 9
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}, $${p + 8}, now(), $${p + 9})`
  }
  const copyText = (rows: unknown[][]) =>
    rows
      .map((r) =>
        [...r.slice(0, 8), new Date().toISOString(), r[8]]
          .map((v) => String(v).replace(/\\/g, '\\\\'))
          .join('\t'),
      )
      .join('\n')
      .concat('\n')
  const stream = (i: number) => `product-${i % 200}`

  const workloads: Record<string, () => Promise<number>> = {
    rawSingle: () =>
      rate(singles, async () => {
        for (let i = 0; i < singles; i++) {
          await pool.query(`insert into raw_events (${columns}) values ${rowSql(0)}`, rawRow(nextEvent()))
        }
      }),
    storeSingle: () =>
      rate(singles, async () => {
        for (let i = 0; i < singles; i++) await store.append([nextEvent()])
      }),
    emmettSingle: () =>
      rate(singles, async () => {
        for (let i = 0; i < singles; i++)
          await peer.appendSingle(stream(i), nextEvent().data as Record<string, unknown>)
      }),
    rawBatch: () =>
      rate(batches * 100, async () => {
        const values = Array.from({ length: 100 }, (_, i) => rowSql(i)).join(', ')
        for (let b = 0; b < batches; b++) {
          const subject = stream(batchNo++)
          const params = Array.from({ length: 100 }, () => rawRow(nextEvent(subject))).flat()
          await pool.query(`insert into raw_events (${columns}) values ${values}`, params)
        }
      }),
    copyBatch: () =>
      rate(batches * 100, async () => {
        const client = await pool.connect()
        try {
          for (let b = 0; b < batches; b++) {
            const subject = stream(batchNo++)
            const text = copyText(Array.from({ length: 100 }, () => rawRow(nextEvent(subject))))
            await pipeline(
              Readable.from([text]),
              client.query(copyFrom(`copy raw_events (${columns}) from stdin`)),
            )
          }
        } finally {
          client.release()
        }
      }),
    storeBatch: () =>
      rate(batches * 100, async () => {
        for (let b = 0; b < batches; b++) {
          const subject = stream(batchNo++)
          await store.append(Array.from({ length: 100 }, () => nextEvent(subject)))
        }
      }),
    emmettBatch: () =>
      rate(batches * 100, async () => {
        for (let b = 0; b < batches; b++) {
          await peer.appendBatch(
            stream(batchNo++),
            Array.from({ length: 100 }, () => nextEvent().data as Record<string, unknown>),
          )
        }
      }),
  }

  const samples: Record<string, number[]> = {}
  for (let round = 0; round < rounds; round++) {
    // Alternate the order each round so that no workload always runs on a warmer cache.
    const names = Object.keys(workloads)
    for (const name of round % 2 ? names.reverse() : names) {
      const workload = workloads[name]
      if (workload) samples[name] = [...(samples[name] ?? []), await workload()]
    }
  }
  const m = (name: string) => median(samples[name] ?? [])

  // The global read, over logs of the same size: fill both, then read each from the start.
  for (let have = await store.headPosition(); have < readSize; have += 1000) {
    await store.append(Array.from({ length: 1000 }, () => nextEvent()))
  }
  const peerHave = await peer.readAll(1000)
  for (let have = peerHave; have < readSize; have += 1000) {
    await peer.appendBatch(
      stream(have),
      Array.from({ length: 1000 }, () => nextEvent().data as Record<string, unknown>),
    )
  }
  let ours = 0
  let theirs = 0
  const readRates: number[] = []
  const peerRates: number[] = []
  for (let round = 0; round < rounds; round++) {
    readRates.push(
      await rate(readSize, async () => {
        ours = 0
        for (let after = 0; ; ) {
          const page = await store.readLogAfter(after, 1000)
          const last = page.at(-1)
          if (!last || ours >= readSize) break
          ours += page.length
          after = last.position
        }
      }),
    )
    peerRates.push(
      await rate(readSize, async () => {
        theirs = await peer.readAll(1000)
      }),
    )
  }
  await peer.close()
  await peerDb.close()
  await db.close()
  if (ours < readSize || theirs < readSize)
    throw new Error(`read ${ours} and ${theirs} of ${readSize} events`)

  return {
    appendSinglePerSec: Math.round(m('storeSingle')),
    rawSinglePerSec: Math.round(m('rawSingle')),
    emmettSinglePerSec: Math.round(m('emmettSingle')),
    appendSingleRatio: ratio(m('storeSingle'), m('rawSingle')),
    appendSingleVsEmmett: ratio(m('storeSingle'), m('emmettSingle')),
    appendBatchEventsPerSec: Math.round(m('storeBatch')),
    rawBatchRowsPerSec: Math.round(m('rawBatch')),
    copyBatchRowsPerSec: Math.round(m('copyBatch')),
    emmettBatchEventsPerSec: Math.round(m('emmettBatch')),
    appendBatchRatio: ratio(m('storeBatch'), m('rawBatch')),
    appendBatchVsCopy: ratio(m('storeBatch'), m('copyBatch')),
    appendBatchVsEmmett: ratio(m('storeBatch'), m('emmettBatch')),
    readLogPerSec: Math.round(median(readRates)),
    emmettReadPerSec: Math.round(median(peerRates)),
    readVsEmmett: ratio(median(readRates), median(peerRates)),
  }
}
