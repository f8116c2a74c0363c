import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { catalogue } from '../events/index.js'
import { loadConfig } from '../src/config.js'
import { prepare } from '../src/import/prepare.js'
import { asInput } from '../src/import/read.js'
import { createEventStore } from '../src/store/event-store.js'
import { generateHistory } from '../test/support/generate.js'
import { type BenchServer, rate, ratio, startBenchApi } from './support.js'

export interface ImportFigures {
  readonly events: number
  /** `npm run import` of the NDJSON file, end to end (the process's start, the check, the posts). */
  readonly importEventsPerSec: number
  /** The same batches of 1000, posted one after another by a client in this process. */
  readonly directEventsPerSec: number
  readonly importRatioToDirect: number
}

/**
 * 100,000 generated events: once through `npm run import` of an NDJSON file, once as the same
 * batches (the same ids) posted directly, each into an empty database behind the API in this
 * process, on 127.0.0.1.
 */
export async function measureImport(server: BenchServer, events: number): Promise<ImportFigures> {
  const inputs = [...generateHistory(7, events)]
  const folder = await mkdtemp(path.join(tmpdir(), 'market-timeline-bench-import-'))
  const file = path.join(folder, 'events.ndjson')
  await writeFile(file, `${inputs.map((e) => JSON.stringify(e)).join('\n')}\n`)
  const prepared = prepare(
    [
      {
        file,
        format: 'ndjson',
        events: inputs.map((input, i) => ({ file, line: i + 1, input: asInput(input) })),
        problems: [],
        oneBatch: false,
      },
    ],
    catalogue,
  )
  if (prepared.problems.length > 0)
    throw new Error(`generated events are invalid: ${JSON.stringify(prepared.problems[0])}`)
  const bodies = prepared.batches.map(
    (batch) => `{"events":[${batch.map((e) => JSON.stringify(e.input)).join(',')}]}`,
  )
  try {
    const directEventsPerSec = await onApi(server, (url, key) =>
      rate(prepared.events, async () => {
        for (const body of bodies) {
          const response = await fetch(`${url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body,
          })
          if (response.status !== 201)
            throw new Error(`direct post: ${response.status} ${await response.text()}`)
        }
      }),
    )
    const importEventsPerSec = await onApi(server, (url, key) =>
      rate(prepared.events, async () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/cli/import.ts', file, '--url', url, '--key', key],
          {
            stdio: ['ignore', 'ignore', 'inherit'],
            env: { PATH: process.env.PATH, HOME: process.env.HOME },
          },
        )
        const [code] = await once(child, 'exit')
        if (code !== 0) throw new Error(`npm run import exited with ${code}`)
      }),
    )
    return {
      events: prepared.events,
      importEventsPerSec: Math.round(importEventsPerSec),
      directEventsPerSec: Math.round(directEventsPerSec),
      importRatioToDirect: ratio(importEventsPerSec, directEventsPerSec),
    }
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** The API on a fresh database of its own, listening on 127.0.0.1, for the length of `work`. */
async function onApi<T>(server: BenchServer, work: (url: string, key: string) => Promise<T>): Promise<T> {
  const db = await server.newDatabase()
  const store = createEventStore(db.handle.db, catalogue, loadConfig({}).marketTz)
  const { app, url, adminKey } = await startBenchApi(db, store)
  try {
    return await work(url, adminKey)
  } finally {
    await app.close()
    await db.close()
  }
}
