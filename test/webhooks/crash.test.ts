import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { runScript } from '../support/process.js'
import { receivers } from '../support/receiver.js'
import { appendEvents, subscribe, waitForDeliveries } from '../support/webhooks.js'

/** A real delivery worker process, killed with SIGKILL while its receiver holds its requests. */
let t: TestApp
const started = receivers()
const children: ChildProcess[] = []

beforeAll(async () => {
  t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
})
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await t?.close()
  await started.closeAll()
})

function startWorkerProcess(): { child: ChildProcess; output: () => string } {
  const child = runScript(
    'src/main.ts',
    {
      DATABASE_URL: t.database.url,
      LOG_LEVEL: 'warn',
      // A job whose worker died is handed out again once it expires.
      JOB_EXPIRY: '5s',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '60000',
    },
    ['worker'],
  )
  children.push(child)
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  return { child, output: () => output }
}

describe('a delivery worker killed mid-delivery', () => {
  it('leaves every delivery to be sent again by another worker, under its webhook-id: delivered at least once', {
    timeout: 120_000,
  }, async () => {
    const r = await started.start()
    let killed = false
    // Until the first worker is dead, every request is held open: its attempts never end.
    r.answer = () => (killed ? { status: 204 } : { status: 204, delayMs: 600_000 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['crash-llm'] })
    const first = startWorkerProcess()
    await appendEvents(t, ...Array.from({ length: 5 }, (_, i) => priceChange('crash-llm', String(i))))

    // The receiver has all five requests, none answered: the worker is inside every delivery.
    await r.waitFor((requests) => requests.length === 5, 60_000)
    const pending = await waitForDeliveries(t, id, (d) => d.length === 5)
    expect(pending.map((d) => d.status)).toEqual(Array(5).fill('pending'))
    expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set(pending.map((d) => d.id)))

    killed = true
    first.child.kill('SIGKILL')
    const [, signal] = await once(first.child, 'exit')
    expect(signal).toBe('SIGKILL')
    const second = startWorkerProcess()

    const delivered = await waitForDeliveries(
      t,
      id,
      (d) => d.length === 5 && d.every((x) => x.status === 'delivered'),
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nsecond worker:\n${second.output()}`)
    })
    // Each delivery reached the receiver twice at least, every time under its own webhook-id.
    const received = r.requests.map((q) => String(q.headers['webhook-id']))
    for (const delivery of delivered) {
      expect(received.filter((webhookId) => webhookId === delivery.id).length).toBeGreaterThanOrEqual(2)
      expect(delivery.attempts.at(-1)?.statusCode).toBe(204)
    }
    expect(new Set(received)).toEqual(new Set(delivered.map((d) => d.id)))

    second.child.kill('SIGTERM')
    const [code] = await once(second.child, 'exit')
    expect(code).toBe(0)
  })
})
