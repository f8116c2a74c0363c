import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { loadSeeds } from '../../src/seeding.js'
import { createEventStore } from '../../src/store/event-store.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange } from '../support/events.js'
import { runScript } from '../support/process.js'

/** `npm run report` and `npm run replay` as child processes against a database of their own. */
let database: TestDatabase
let folder: string
let seededAt: string
let later: readonly RecordedEvent[]

beforeAll(async () => {
  database = await createTestDatabase()
  folder = await mkdtemp(path.join(tmpdir(), 'market-timeline-report-'))
  const store = createEventStore(database.handle.db, catalogue, 'UTC')
  await loadSeeds(store, catalogue)
  seededAt = (await store.query({ limit: 1000 })).at(-1)?.recordedAt as string
  await sleep(5)
  later = (await store.append([priceChange('qwen-long', '0.0004', { occurredAt: '2024-07-01' })])).events
})
afterAll(async () => {
  await database.drop()
  await rm(folder, { recursive: true, force: true })
})

/** Runs a command of this project to its end, its standard output and error apart. */
async function run(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runScript(script, { DATABASE_URL: database.url }, args)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

describe('npm run report', () => {
  it('writes the May 2024 price war as CSV to a file, with plain progress lines on a pipe', async () => {
    const out = path.join(folder, 'price-war.csv')
    const args = [
      'price-changes',
      '--from',
      '2024-05-01',
      '--to',
      '2024-05-31',
      '--format',
      'csv',
      '--out',
      out,
    ]
    const { code, stderr } = await run('src/cli/report.ts', args)
    expect(code, stderr).toBe(0)
    const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[]
    expect(rows.map((r) => [r.product, r.oldAmount, r.newAmount, r.percentChange])).toEqual([
      ['hunyuan-lite', '0.008', '0', '-100'],
      ['qwen-long', '0.02', '0.0005', '-97.5'],
      ['ernie-speed', '', '0', ''],
      ['ernie-lite', '', '0', ''],
    ])
    expect(stderr).toMatch(/^price-changes: 0 of \d+ events replayed \(0%\)$/m)
    expect(stderr).toMatch(/^price-changes: \d+ of \d+ events replayed \(100%\)$/m)
    expect(stderr).toContain(`price-changes: wrote ${out}`)
  })

  it('prints a market snapshot as JSON on standard output, as known at a date', async () => {
    const { code, stdout, stderr } = await run('src/cli/report.ts', [
      'market-snapshot',
      '--as-of',
      '2024-07-31',
      '--known-at',
      seededAt,
    ])
    expect(code, stderr).toBe(0)
    const snapshot = JSON.parse(stdout)
    const qwen = snapshot.products.find((p: { product: string }) => p.product === 'qwen-long')
    expect(qwen.prices).toEqual([expect.objectContaining({ amount: '0.0005' })])
    expect(snapshot.knownAt).toBe(seededAt)
  })

  it('refuses a parameter the report does not take, naming its option', async () => {
    const { code, stderr } = await run('src/cli/report.ts', ['market-snapshot', '--from', '2024'])
    expect(code).toBe(2)
    expect(stderr).toContain('--from: not a parameter of market-snapshot')
  })

  it('explains itself with --help', async () => {
    const { code, stdout } = await run('src/cli/report.ts', ['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: npm run report -- [options] <report>')
    for (const option of ['--as-of', '--known-at', '--from', '--to', '--format', '--out']) {
      expect(stdout).toContain(option)
    }
  })
})

describe('npm run replay', () => {
  it('prints the log as it stood at a date as NDJSON, in position order', async () => {
    const { code, stdout, stderr } = await run('src/cli/replay.ts', ['--until', seededAt])
    expect(code, stderr).toBe(0)
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RecordedEvent)
    expect(events.length).toBeGreaterThan(100)
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1))
    expect(events.every((e) => e.recordedAt <= seededAt)).toBe(true)
    expect(events.map((e) => e.id)).not.toContain(later[0]?.id)
  })

  it('prints the whole log without --until', async () => {
    const { code, stdout } = await run('src/cli/replay.ts', [])
    expect(code).toBe(0)
    const last = JSON.parse(stdout.trim().split('\n').at(-1) as string)
    expect(last).toEqual(later[0])
  })
})
