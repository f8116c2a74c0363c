import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { batches, generateHistory } from '../support/generate.js'

let t: TestApp
let head = 0
beforeAll(async () => {
  t = await startTestApp({ worker: true })
  for (const batch of batches(generateHistory(7, 15_000), 1000)) await t.store.append(batch)
  head = await t.store.headPosition()
})
afterAll(() => t.close())

const query = (asOf: string) => t.inject(`/v1/prices?asOf=${asOf}&consistentWith=${head}`)

describe('rebuilding a projection', () => {
  it('serves every query from a complete read model while the new one is built, then swaps it in', {
    timeout: 90_000,
  }, async () => {
    const dates = ['2021-06', '2022-03', '2023-11', '2024-12']
    const before = await Promise.all(dates.map(async (d) => (await query(d)).json().prices))
    const generation = (
      (await t.inject('/v1/projections')).json() as Array<{ name: string; generation: number }>
    ).find((p) => p.name === 'price-list')?.generation

    const started = await t.inject({ method: 'POST', url: '/v1/projections/price-list/rebuild' })
    expect(started.statusCode).toBe(202)
    const { jobId } = started.json()
    expect(jobId).toEqual(expect.any(String))
    const again = await t.inject({ method: 'POST', url: '/v1/projections/price-list/rebuild' })
    expect(again.json().jobId).toBe(jobId)

    // Queries under load until the swap (bounded by the deadline).
    const failures: string[] = []
    let answered = 0
    let swapped = false
    const deadline = Date.now() + 60_000
    const client = async (i: number) => {
      while (!swapped && Date.now() < deadline) {
        const d = dates[i % dates.length] as string
        const res = await query(d)
        answered++
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${res.body.slice(0, 200)}`)
        else if (JSON.stringify(res.json().prices) !== JSON.stringify(before[dates.indexOf(d)]))
          failures.push(`different answer for ${d}`)
      }
    }
    const clients = Array.from({ length: 4 }, (_, i) => client(i))
    let status: { generation: number; rebuild: unknown } | undefined
    while (Date.now() < deadline) {
      status = (
        (await t.inject('/v1/projections')).json() as Array<{
          name: string
          generation: number
          rebuild: unknown
        }>
      ).find((p) => p.name === 'price-list')
      if (status && status.generation !== generation && status.rebuild === null) break
      await sleep(100)
    }
    swapped = true
    await Promise.all(clients)

    expect(status).toMatchObject({ generation: (generation ?? 0) + 1, rebuild: null })
    expect(failures).toEqual([])
    expect(answered).toBeGreaterThan(0)
    const after = await Promise.all(dates.map(async (d) => (await query(d)).json().prices))
    expect(after).toEqual(before)
  })

  it('answers 404 for a projection that does not exist', async () => {
    const res = await t.inject({ method: 'POST', url: '/v1/projections/nothing/rebuild' })
    expect(res.statusCode).toBe(404)
  })
})
