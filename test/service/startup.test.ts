import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterDirOf, removeDataFolder } from '../../src/db/embedded.js'
import { type ServiceProcess, startService, startUpRoomMs, waitForOk } from '../support/process.js'

let dataDir: string
let service: ServiceProcess | undefined

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'market-timeline-start-'))
})
afterAll(async () => {
  await service?.stop('SIGKILL').catch(() => {})
  await removeDataFolder(dataDir)
})

interface Page {
  events: Array<{ subject: string; type: string; position: number }>
  next: number | null
}

async function countAll(baseUrl: string): Promise<number> {
  const lines = await (
    await fetch(`${baseUrl}/v1/events`, { headers: { accept: 'application/x-ndjson' } })
  ).text()
  return lines.trim().split('\n').length
}

describe('npm start with no DATABASE_URL', () => {
  let firstCount = 0

  it('starts the embedded database, loads the article facts, and is ready', {
    timeout: 2 * startUpRoomMs,
  }, async () => {
    const started = Date.now()
    service = await startService({ DATA_DIR: dataDir, DATABASE_URL: '' })
    const readyAfter = await waitForOk(`${service.baseUrl}/ready`, startUpRoomMs, started)
    console.log(`first start: /ready after ${readyAfter} ms`)

    const prices = (await (await fetch(`${service.baseUrl}/v1/events?type=price.*`)).json()) as Page
    expect(prices.events.map((e) => e.subject)).toEqual(
      expect.arrayContaining(['qwen-long', 'ernie-speed', 'ernie-lite', 'hunyuan-lite']),
    )
    firstCount = await countAll(service.baseUrl)
    expect(firstCount).toBeGreaterThan(50)
  })

  it('prints an admin key once, which then lets a writer append', async () => {
    const key = /\n {2}(mt_\S+)\n/.exec(service?.output() ?? '')?.[1]
    expect(key).toBeDefined()
    const res = await fetch(`${service?.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          {
            type: 'entity.registered',
            subject: 'newcomer',
            occurredAt: '2024',
            data: { kind: 'company', name: 'Newcomer' },
          },
        ],
      }),
    })
    expect(res.status).toBe(201)
    firstCount++
  })

  it('keeps the read models up to date in the same process', async () => {
    const url = `${service?.baseUrl}/v1/prices?asOf=2024-06-30&product=qwen-long&consistentWith=${firstCount}`
    const body = (await (await fetch(url)).json()) as { prices: Array<{ amount: string }> }
    expect(body.prices.map((p) => p.amount)).toEqual(['0.0005'])
  })

  it('stops the database with the service on SIGTERM', async () => {
    expect(await service?.stop('SIGTERM')).toBe(0)
    expect(existsSync(path.join(await clusterDirOf(dataDir), 'postmaster.pid'))).toBe(false)
  })

  it('reuses the data on the next start without loading the seeds twice', {
    timeout: 2 * startUpRoomMs,
  }, async () => {
    const started = Date.now()
    service = await startService({ DATA_DIR: dataDir, DATABASE_URL: '' })
    const readyAfter = await waitForOk(`${service.baseUrl}/ready`, startUpRoomMs, started)
    console.log(`second start: /ready after ${readyAfter} ms`)
    expect(await countAll(service.baseUrl)).toBe(firstCount)
    expect(service.output()).not.toContain('An admin API key was created')
    expect(await service.stop('SIGTERM')).toBe(0)
  })
})
