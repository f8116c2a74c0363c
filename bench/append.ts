import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { catalogue } from '../events/index.js'
import type { EventInput } from '../src/catalogue/envelope.js'
import { createEventStore } from '../src/store/event-store.js'
import { machine, median, openBenchDatabase, rate } from './support.js'

/**
 * Appends through the store vs. raw INSERTs into a table of the same shape (same columns,
 * unique id and (subject, version), same indexes), one client, in the same run.
 * `--quick` runs fewer events per round.
 */
const quick = process.argv.includes('--quick')
const singles = quick ? 500 : 2000
const batches = quick ? 20 : 60
const rounds = 3

const db = await openBenchDatabase()
const store = createEventStore(db.handle.db, catalogue, 'UTC')
await db.handle.pool.query(`
  create table raw_events (like events including defaults including constraints including indexes);
  alter table raw_events alter column position add generated always as identity;
`)

const subjects = Array.from({ length: 200 }, (_, i) => `product-${i}`)
let counter = 0
const nextEvent = (): EventInput => {
  counter++
  return {
    id: randomUUID(),
    type: 'price.changed',
    subject: subjects[counter % subjects.length] as string,
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

const workloads: Record<string, () => Promise<number>> = {
  rawSingle: () =>
    rate(singles, async () => {
      for (let i = 0; i < singles; i++) {
        await db.handle.pool.query(
          `insert into raw_events (${columns}) values ${rowSql(0)}`,
          rawRow(nextEvent()),
        )
      }
    }),
  storeSingle: () =>
    rate(singles, async () => {
      for (let i = 0; i < singles; i++) await store.append([nextEvent()])
    }),
  rawBatch: () =>
    rate(batches * 100, async () => {
      const values = Array.from({ length: 100 }, (_, i) => rowSql(i)).join(', ')
      for (let b = 0; b < batches; b++) {
        const params = Array.from({ length: 100 }, () => rawRow(nextEvent())).flat()
        await db.handle.pool.query(`insert into raw_events (${columns}) values ${values}`, params)
      }
    }),
  storeBatch: () =>
    rate(batches * 100, async () => {
      for (let b = 0; b < batches; b++) await store.append(Array.from({ length: 100 }, nextEvent))
    }),
}

const samples: Record<string, number[]> = {}
for (let round = 0; round < rounds; round++) {
  // Alternate the order each round so neither side always runs on a warmer cache.
  const names = Object.keys(workloads)
  for (const name of round % 2 ? names.reverse() : names) {
    const workload = workloads[name]
    if (!workload) continue
    const rate = await workload()
    samples[name] = [...(samples[name] ?? []), rate]
  }
}
const m = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))
const summary = {
  machine: machine(),
  server: db.server,
  rounds,
  appendSinglePerSec: Math.round(m.storeSingle ?? 0),
  rawSinglePerSec: Math.round(m.rawSingle ?? 0),
  appendSingleRatio: Number(((m.storeSingle ?? 0) / (m.rawSingle ?? 1)).toFixed(2)),
  appendBatchEventsPerSec: Math.round(m.storeBatch ?? 0),
  rawBatchRowsPerSec: Math.round(m.rawBatch ?? 0),
  appendBatchRatio: Number(((m.storeBatch ?? 0) / (m.rawBatch ?? 1)).toFixed(2)),
}
await db.close()

console.log(`\n${summary.machine}; ${summary.server}; median of ${rounds} rounds`)
console.table({
  'one event per call': {
    'store /s': summary.appendSinglePerSec,
    'raw INSERT /s': summary.rawSinglePerSec,
    ratio: summary.appendSingleRatio,
  },
  '100 events per call': {
    'store /s': summary.appendBatchEventsPerSec,
    'raw INSERT /s': summary.rawBatchRowsPerSec,
    ratio: summary.appendBatchRatio,
  },
})
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`)
console.log(JSON.stringify(summary))
