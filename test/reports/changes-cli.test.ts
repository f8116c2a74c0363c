import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import type { Change } from '../../src/diff/schemas.js'
import { loadSeeds } from '../../src/seeding.js'
import { createEventStore } from '../../src/store/event-store.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { priceChange } from '../support/events.js'
import { runScript } from '../support/process.js'

/** `npm run report -- changes` as a child process against a database of its own, seeded with the articles. */
let database: TestDatabase
let seededAt: string
let later: readonly RecordedEvent[]

beforeAll(async () => {
  database = await createTestDatabase()
  const store = createEventStore(database.handle.db, catalogue, 'UTC')
  await loadSeeds(store, catalogue)
  seededAt = (await store.query({ limit: 1000 })).at(-1)?.recordedAt as string
  await sleep(5)
  later = (await store.append([priceChange('qwen-long', '0.0004', { occurredAt: '2024-07-01' })])).events
})
afterAll(() => database.drop())

async function report(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runScript('src/cli/report.ts', { DATABASE_URL: database.url }, ['changes', ...args])
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

// Each case starts the command line anew (TypeScript included): room for a busy machine.
describe('npm run report -- changes', { timeout: 120_000 }, () => {
  it("tells Qwen-Long's May cut as valid time and a price recorded later as knowledge", async () => {
    const { code, stdout, stderr } = await report([
      '--from-as-of',
      '2024-04-30',
      '--to-as-of',
      '2024-07-31',
      '--from-known-at',
      seededAt,
      '--product',
      'qwen-long',
    ])
    expect(code, stderr).toBe(0)
    const answer = JSON.parse(stdout)
    expect(answer).toMatchObject({
      report: 'changes',
      fromKnownAt: seededAt,
      scope: { product: 'qwen-long' },
    })
    const input = (answer.changes as Change[]).find((c) => c.model === 'price' && c.key.component === 'input')
    expect(input).toMatchObject({
      change: 'changed',
      before: { amount: '0.02' },
      after: { amount: '0.0004' },
      cause: 'knowledge',
    })
    expect(input?.eventIds).toContain(later[0]?.id)
    const before = await report([
      '--from-as-of',
      '2024-04-30',
      '--to-as-of',
      '2024-06-30',
      '--product',
      'qwen-long',
    ])
    const cut = (JSON.parse(before.stdout).changes as Change[]).find((c) => c.key.component === 'input')
    expect(cut).toMatchObject({ after: { amount: '0.0005' }, cause: 'valid-time' })
  })

  it('refuses a missing --from-as-of, a bad date and two scopes, naming the option', async () => {
    const missing = await report(['--to-as-of', '2024-06-30'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--from-as-of')
    const bad = await report(['--from-as-of', '2024-13'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--from-as-of')
    const two = await report(['--from-as-of', '2024-04', '--company', 'moonshot', '--product', 'qwen-long'])
    expect(two.code).toBe(2)
    expect(two.stderr).toContain('--product')
  })
})
