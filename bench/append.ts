import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { catalogue } from '../events/index.js'
import { projections } from '../projections/index.js'
import type { EventInput } from '../src/catalogue/envelope.js'
import { ensureProjections } from '../src/projector/generations.js'
import { createEventStore, type EventStore } from '../src/store/event-store.js'
import { type Load, type LoadRequest, priceAppends, runLoad } from './load.js'
import { openEmmett } from './peer-emmett.js'
import { type BenchDatabase, type BenchServer, median, rate, ratio, startBenchApi } from './support.js'

/** Concurrent writers of one event per call: through the store, and raw one-row INSERTs. */
export interface ConcurrentFigures {
  readonly writers: number
  readonly storePerSec: number
  readonly rawPerSec: number
  readonly ratio: number
}

/** POST /v1/events with one event per request, against a trivial route of the same app. */
export interface HttpAppendFigures {
  readonly connections: number
  readonly append: Load
  readonly trivial: Load
  readonly ratio: number
}

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
  /** 1, 10 and 50 concurrent writers. */
  readonly concurrent: readonly ConcurrentFigures[]
  readonly appendConcurrent10Ratio: number
  readonly appendConcurrent50Ratio: number
  /** 10 and 50 connections. */
  readonly http: readonly HttpAppendFigures[]
  readonly appendHttp10RatioToTrivial: number
}

const concurrency = [1, 10, 50] as const

/**
 * Appends through the store vs. raw INSERTs into a table of the same shape (same columns,
 * unique id and (subject, version), same indexes), COPY into it, and Emmett's PostgreSQL event
 * store (in a database of its own on the same server); one client, sequential calls, the
 * workloads interleaved over three rounds. In the same rounds, 1, 10 and 50 concurrent writers
 * of one event per call: through one store (which groups what arrives while it commits) vs. as
 * many raw clients each doing one-row INSERTs (which PostgreSQL's own group commit serves).
 * Then POST /v1/events over HTTP on the same database against a trivial route of the same app,
 * and the global read: our projector's reader vs. Emmett's readMessagesBatch over logs of the
 * same size.
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
  const rawClients = new pg.Pool({ connectionString: db.url, max: Math.max(...concurrency) })
  const concurrentCalls = quick ? 600 : 3000
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

  const rawInsert = (event: EventInput, on: pg.Pool = pool) =>
    on.query(`insert into raw_events (${columns}) values ${rowSql(0)}`, rawRow(event))
  /** About `concurrentCalls` single-event calls shared by `writers` concurrent loops; calls per second. */
  const concurrently = (writers: number, call: () => Promise<unknown>) => {
    const each = Math.ceil(concurrentCalls / writers)
    return rate(writers * each, async () => {
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (let i = 0; i < each; i++) await call()
        }),
      )
    })
  }
  const concurrentWorkloads = Object.fromEntries(
    concurrency.flatMap((writers) => [
      [`storeConcurrent${writers}`, () => concurrently(writers, () => store.append([nextEvent()]))],
      [`rawConcurrent${writers}`, () => concurrently(writers, () => rawInsert(nextEvent(), rawClients))],
    ]),
  ) as Record<string, () => Promise<number>>

  const workloads: Record<string, () => Promise<number>> = {
    ...concurrentWorkloads,
    rawSingle: () =>
      rate(singles, async () => {
        for (let i = 0; i < singles; i++) {
          await rawInsert(nextEvent())
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
  await rawClients.end()
  const concurrent = concurrency.map((writers) => ({
    writers,
    storePerSec: Math.round(m(`storeConcurrent${writers}`)),
    rawPerSec: Math.round(m(`rawConcurrent${writers}`)),
    ratio: ratio(m(`storeConcurrent${writers}`), m(`rawConcurrent${writers}`)),
  }))
  const http = await measureHttpAppends(db, store, quick)

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
    concurrent,
    appendConcurrent10Ratio: concurrent.find((c) => c.writers === 10)?.ratio ?? 0,
    appendConcurrent50Ratio: concurrent.find((c) => c.writers === 50)?.ratio ?? 0,
    http,
    appendHttp10RatioToTrivial: http.find((h) => h.connections === 10)?.ratio ?? 0,
  }
}

/**
 * The API in this process on the append section's database, with all its hooks: autocannon (fired
 * from a worker thread, bench/load.ts) with 10, then 50 connections POSTing one event per request,
 * each beside a trivial route of the same app measured just before it, over rounds.
 */
async function measureHttpAppends(
  db: BenchDatabase,
  store: EventStore,
  quick: boolean,
): Promise<HttpAppendFigures[]> {
  await ensureProjections(db.handle.db, projections)
  const { app, url, adminKey } = await startBenchApi(db, store)
  const duration = quick ? 3 : 5
  const rounds = quick ? 1 : 3
  const load = (connections: number, requests: readonly LoadRequest[]): Promise<Load> =>
    runLoad({ url, connections, duration, requests })
  const trivial = [{ path: '/bench/trivial' }]
  // Each load's appends are numbered on from the last one's: every amount differs.
  let appended = 0
  const appends = () => {
    const count = 100_000
    const requests = priceAppends(adminKey, { prefix: 'http-writer', subjects: 200, count, first: appended })
    appended += count
    return requests
  }
  const samples = new Map<number, { append: Load[]; trivial: Load[] }>()
  try {
    for (let round = 0; round < rounds; round++) {
      for (const connections of [10, 50]) {
        const s = samples.get(connections) ?? { append: [], trivial: [] }
        s.trivial.push(await load(connections, trivial))
        s.append.push(await load(connections, appends()))
        samples.set(connections, s)
      }
    }
  } finally {
    await app.close()
  }
  return [...samples].map(([connections, s]) => {
    const append = medianLoad(s.append)
    const trivial = medianLoad(s.trivial)
    return { connections, append, trivial, ratio: ratio(append.rps, trivial.rps) }
  })
}

/** The run of median throughput, with its latencies. */
function medianLoad(loads: readonly Load[]): Load {
  const sorted = [...loads].sort((a, b) => a.rps - b.rps)
  return sorted[Math.floor((sorted.length - 1) / 2)] as Load
}
