import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'
import { runScript, runToEnd } from '../support/process.js'

/** `npm run import` as a child process against a real service listening on 127.0.0.1. */
let app: TestApp
let url: string
let folder: string

beforeAll(async () => {
  app = await startTestApp()
  url = await app.app.listen({ port: 0, host: '127.0.0.1' })
  folder = await mkdtemp(path.join(tmpdir(), 'market-timeline-import-'))
})
afterAll(async () => {
  await app?.close()
  await rm(folder, { recursive: true, force: true })
})
/** The log is append-only: each test reads what it added, after the head it started at. */
let before = 0
beforeEach(async () => {
  before = await app.store.headPosition()
})

const importing = (args: string[]) =>
  runToEnd('src/cli/import.ts', {}, [...args, '--url', url, '--key', testAdminKey])

async function ndjson(name: string, events: readonly unknown[]): Promise<string> {
  const file = path.join(folder, name)
  await writeFile(file, `${events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n')}\n`)
  return file
}

/** Events this test stored (positions are commit order, without gaps for the ones committed). */
async function storedCount(): Promise<number> {
  return (await app.store.query({ after: before, limit: 10_000 })).length
}

const added = (limit = 10_000) => app.store.query({ after: before, limit })

/** `n` valid price changes without ids, each of its own product and month. */
function prices(n: number, tag: string): EventInput[] {
  return Array.from({ length: n }, (_, i) =>
    priceChange(`${tag}-${i % 50}`, `${i}.5`, {
      occurredAt: `2024-05-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    }),
  )
}

describe('npm run import', { timeout: 120_000 }, () => {
  it('reports every bad line with its number and field, and sends nothing', async () => {
    const good = priceChange('qwen-long', '0.0005')
    const file = await ndjson('bad.ndjson', [
      good,
      { ...good, data: { ...good.data, amount: 0.0005 } },
      '',
      { ...good, occurredAt: '2024-13' },
      'not json',
      { ...good, type: 'price.changd' },
      good,
    ])
    const { code, out } = await importing([file])
    expect(code).toBe(1)
    expect(out).toContain(`${file}:2: /data/amount: must be string`)
    expect(out).toContain(`${file}:4: /occurredAt: no month 13`)
    expect(out).toMatch(new RegExp(`${file}:5: not JSON`))
    expect(out).toContain(`${file}:6: /type: unknown event type "price.changd"`)
    expect(out).not.toContain(`${file}:1:`)
    expect(out).toContain('import: 4 bad lines; nothing was sent')
    expect(await storedCount()).toBe(0)
  })

  it('stores nothing of a batch the service refuses, names its line, and stops there', async () => {
    const file = await ndjson('refused.ndjson', [
      priceChange('a', '1'),
      priceChange('b', '1'),
      priceChange('c', '1'),
      priceChange('d', '1', { expectedVersion: 5 }),
      priceChange('e', '1'),
      priceChange('f', '1'),
    ])
    const { code, out } = await importing([file, '--batch-size', '2'])
    expect(code).toBe(1)
    expect(out).toContain(`${file}:4: /expectedVersion: expected version 5, but 'd' is at version 0`)
    expect(out).toContain(`refused the batch of ${file}:3–4`)
    expect(out).toContain('nothing of it was stored. Before it: 2 new, 0 already stored.')
    // The first batch is stored; nothing of the refused one, nothing after it.
    const subjects = (await added()).map((e) => e.subject)
    expect(subjects).toEqual(['a', 'b'])
  })

  it('adds nothing on a second run, with plain progress lines in a pipe', async () => {
    const file = await ndjson('twice.ndjson', prices(2500, 'twice'))
    const first = await importing([file])
    expect(first.code, first.out).toBe(0)
    expect(first.out).toContain('import: 2,500 events from 1 file: 2,500 new, 0 already stored')
    expect(first.out).toMatch(/^import: 0 of 2,500 events imported \(0%\)$/m)
    expect(first.out).toMatch(/^import: 2,500 of 2,500 events imported \(100%\)$/m)
    expect(first.out).toMatch(/^import: done, 2,500 events in [0-9.]+ s$/m)
    expect(await storedCount()).toBe(2500)
    const second = await importing([file])
    expect(second.code, second.out).toBe(0)
    expect(second.out).toContain('import: 2,500 events from 1 file: 0 new, 2,500 already stored')
    expect(await storedCount()).toBe(2500)
  })

  it('completes an interrupted import when run again, without duplicates', async () => {
    const events = prices(3000, 'resumed')
    const file = await ndjson('interrupted.ndjson', events)
    const args = [file, '--batch-size', '100', '--url', url, '--key', testAdminKey]
    const child = runScript('src/cli/import.ts', {}, args)
    const exited = once(child, 'exit')
    let stored = 0
    for (let i = 0; i < 3000 && stored === 0 && child.exitCode === null; i++) {
      stored = await storedCount()
      if (stored === 0) await sleep(10)
    }
    child.kill('SIGKILL')
    await exited
    // A batch the killed client had sent in full may still commit on the service after the kill.
    const afterKill = await storedCount()
    expect(afterKill).toBeGreaterThan(0)
    expect(afterKill).toBeLessThan(3000)
    const { code, out } = await importing([file])
    expect(code, out).toBe(0)
    const [, fresh, already] = /: ([0-9,]+) new, ([0-9,]+) already stored/.exec(out) ?? []
    const alreadyStored = Number(already?.replaceAll(',', ''))
    expect(alreadyStored).toBeGreaterThanOrEqual(afterKill)
    expect(alreadyStored).toBeLessThan(3000)
    expect(Number(fresh?.replaceAll(',', ''))).toBe(3000 - alreadyStored)
    expect(await storedCount()).toBe(3000)
    // Every line once, in file order: amounts are unique per line.
    const log = await added()
    expect(log.map((e) => (e.data as { amount: string }).amount)).toEqual(
      events.map((e) => (e.data as { amount: string }).amount),
    )
  })

  it('reads CSV with --map, numbers and lists by the schema, and names the column of a bad cell', async () => {
    const file = path.join(folder, 'prices.csv')
    await writeFile(
      file,
      [
        'product,date,price,component,data.currency,data.unit,type,note',
        'qwen-long,2024-05-21,0.0005,input,CNY,1K tokens,price.changed,cut',
        'ernie-speed,2024-05-21,0,input,CNY,1K tokens,price.changed,free',
        '',
      ].join('\r\n'),
    )
    const map = 'product=subject,date=occurredAt,price=data.amount,component=data.component,note='
    const { code, out } = await importing([file, '--map', map])
    expect(code, out).toBe(0)
    expect(out).toContain('2 new, 0 already stored')
    const stored = await added()
    expect(stored.map((e) => [e.subject, e.occurredAt, e.data])).toEqual([
      [
        'qwen-long',
        '2024-05-21',
        { amount: '0.0005', component: 'input', currency: 'CNY', unit: '1K tokens' },
      ],
      ['ernie-speed', '2024-05-21', { amount: '0', component: 'input', currency: 'CNY', unit: '1K tokens' }],
    ])

    const alliance = path.join(folder, 'alliance.csv')
    await writeFile(
      alliance,
      'type,subject,occurredAt,data.name,data.conveners,data.members,data.amount\n' +
        'alliance.formed,ai-alliance,2024-07,AI Alliance,caict,caict;alibaba-cloud,12\n',
    )
    const bad = await importing([alliance])
    expect(bad.code).toBe(1)
    expect(bad.out).toContain(`${alliance}:2: /data/amount (column data.amount): is not a known field`)
    const unmapped = await importing([file])
    expect(unmapped.code).toBe(1)
    expect(unmapped.out).toContain("columns 'product', 'date', 'price', 'component', 'note' name no field")
  })

  it('imports a POST /v1/events body as one batch, its bad events at the lines where they start', async () => {
    const good = registration('moonshot', 'Moonshot AI')
    const file = path.join(folder, 'body.json')
    const bad = { ...registration('zhipu'), data: { kind: 'company' } }
    await writeFile(file, JSON.stringify({ events: [good, bad] }, null, 2))
    const { code, out } = await importing([file])
    expect(code).toBe(1)
    // The second event starts on the line after the first one's closing brace.
    const line =
      JSON.stringify({ events: [good, bad] }, null, 2)
        .split('\n')
        .findIndex((_, i, all) => i > 2 && all[i - 1]?.trim() === '},') + 1
    expect(out).toContain(`${file}:${line}: /data/name: is required`)
    await writeFile(
      file,
      JSON.stringify({ events: [good, { ...bad, data: { kind: 'company', name: 'Zhipu' } }] }),
    )
    const fixed = await importing([file])
    expect(fixed.code, fixed.out).toBe(0)
    expect(fixed.out).toContain('2 new, 0 already stored')
  })
})
