import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { compileAppendValidator } from '../../src/catalogue/validation.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { runToEnd } from '../support/process.js'

/** seeds/examples/: a small fictional market of another industry, one EventInput per line. */
const examplesDir = path.join(defaultSeedsDir, 'examples')

async function exampleFiles(): Promise<Array<{ file: string; events: EventInput[] }>> {
  const files = (await readdir(examplesDir)).filter((name) => name.endsWith('.ndjson')).sort()
  return Promise.all(
    files.map(async (file) => {
      const lines = (await readFile(path.join(examplesDir, file), 'utf8')).split('\n').filter(Boolean)
      return { file, events: lines.map((line) => JSON.parse(line) as EventInput) }
    }),
  )
}

let t: TestApp
let files: Array<{ file: string; events: EventInput[] }>
beforeAll(async () => {
  files = await exampleFiles()
  t = await startTestApp({ worker: true })
})
afterAll(() => t.close())

describe('the example market', () => {
  it('is a few dozen valid events, each line on its own, with fixed ids', () => {
    expect(files.map((f) => f.file)).toEqual(['e-bikes.ndjson'])
    const validate = compileAppendValidator(catalogue)
    for (const { file, events } of files) {
      expect(events.length, file).toBeGreaterThanOrEqual(24)
      events.forEach((event, line) => {
        expect(validate({ events: [event] }), `${file}:${line + 1}`).toEqual([])
        expect(event.id, `${file}:${line + 1}`).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        )
      })
      const ids = events.map((e) => e.id)
      expect(new Set(ids).size).toBe(ids.length)
    }
  })

  it('says in every source that it is example data, and fictional', () => {
    for (const { events } of files) {
      for (const event of events) {
        expect(event.source?.publisher, event.id).toBe('Example data')
        expect(event.source?.note, event.id).toMatch(/^Fictional/)
      }
    }
  })

  it('holds launches, prices, an alliance, funding, a relation, a plan and a retraction', () => {
    const types = new Set(files.flatMap((f) => f.events.map((e) => e.type)))
    for (const type of [
      'entity.registered',
      'product.launched',
      'price.changed',
      'alliance.formed',
      'funding.round_closed',
      'relation.established',
      'event.retracted',
    ])
      expect(types, type).toContain(type)
    const planned = files.flatMap((f) => f.events).filter((e) => e.data.status === 'planned')
    expect(planned.length).toBeGreaterThan(0)
  })

  it('is never loaded by default: loadSeeds reads only the *.json files of seeds/', async () => {
    const reports = await loadSeeds(t.store, catalogue, defaultSeedsDir)
    expect(reports.every((r) => r.file.endsWith('.json') && !r.file.includes('/'))).toBe(true)
    const exampleIds = new Set(files.flatMap((f) => f.events.map((e) => e.id)))
    for await (const event of t.store.stream({})) expect(exampleIds.has(event.id), event.id).toBe(false)
  })

  it('loads with npm run import, and answers like any market: prices as of a date, an alliance', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' })
    for (const { file, events } of files) {
      const args = [path.join(examplesDir, file), '--url', url, '--key', testAdminKey]
      const imported = await runToEnd('src/cli/import.ts', {}, args)
      expect(imported.code, imported.out).toBe(0)
      expect(imported.out).toContain(`${events.length} new, 0 already stored`)
      // A second run adds nothing.
      const again = await runToEnd('src/cli/import.ts', {}, args)
      expect(again.out).toContain(`0 new, ${events.length} already stored`)
    }
    const head = await t.store.headPosition()
    const get = async (url: string) => {
      const res = await t.inject(`${url}&consistentWith=${head}`)
      expect(res.statusCode, res.body).toBe(200)
      return res.json()
    }
    const price = async (product: string, asOf: string) =>
      (await get(`/v1/prices?asOf=${asOf}&product=${product}`)).prices[0]?.amount
    expect(await price('voltara-commuter-1', '2024-08-31')).toBe('1899')
    expect(await price('voltara-commuter-1', '2024-09-01')).toBe('1599')
    // The October cut was retracted: the Cargo kept 3,490 until its November cut.
    expect(await price('pedalwerk-cargo', '2024-10-15')).toBe('3490')
    expect(await price('pedalwerk-cargo', '2024-11-30')).toBe('3190')
    const members = async (asOf: string) =>
      (await get(`/v1/alliances/open-battery-alliance?asOf=${asOf}`)).members.map(
        (m: { member: string }) => m.member,
      )
    expect(await members('2024-09-30')).toEqual(['hillcat', 'pedalwerk', 'voltara'])
    expect(await members('2025-03-31')).toEqual(['pedalwerk', 'voltara'])
    const funding = await get('/v1/funding?asOf=2024-12-31&company=voltara')
    expect(JSON.stringify(funding)).toContain('12000000')
  })
})
