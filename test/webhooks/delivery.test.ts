import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'
import { freePort } from '../support/process.js'
import { type Receiver, receivers } from '../support/receiver.js'
import { waitUntilQuiet } from '../support/webhook-quiet.js'
import { appendEvents, deliveriesOf, subscribe, waitForDeliveries } from '../support/webhooks.js'

let t: TestApp
const started = receivers()

beforeAll(async () => {
  t = await startTestApp({
    worker: true,
    env: {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2,0.2,0.2',
      WEBHOOK_TIMEOUT_MS: '500',
    },
  })
})
afterAll(async () => {
  await t?.close()
  await started.closeAll()
})

const receiver = (port?: number) => started.start(port)

/** The job allowed to send each delivery, if any. */
async function jobsOf(deliveryIds: readonly string[]): Promise<Array<string | null>> {
  const rows = await t.database.handle.db
    .selectFrom('webhook_deliveries')
    .select('job_id')
    .where('id', 'in', deliveryIds)
    .execute()
  return rows.map((r) => r.job_id)
}

const ids = (r: Receiver) => r.requests.map((q) => q.headers['webhook-id'])
const bodies = (r: Receiver) =>
  r.requests.map(
    (q) =>
      JSON.parse(q.body) as {
        type: string
        timestamp: string
        data: { id: string; subject: string; position: number; recordedAt: string }
      },
  )

describe('a subscription receives new facts', () => {
  it('signed per Standard Webhooks, with the event as data and its recordedAt as timestamp', async () => {
    const r = await receiver()
    const { secret } = await subscribe(t, { url: r.url, subjects: ['signed-llm'] })
    const [event] = await appendEvents(t, priceChange('signed-llm', '0.02'))
    await r.waitFor((requests) => requests.length === 1)
    const [request] = r.requests
    if (!request) throw new Error('no request')
    const verified = new Webhook(secret).verify(request.body, request.headers as Record<string, string>)
    expect(verified).toEqual({ type: 'price.changed', timestamp: event?.recordedAt, data: event })
    expect(request.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(request.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2)
  })

  it('only the types and subjects it asks for', async () => {
    const byType = await receiver()
    const bySubject = await receiver()
    const a = await subscribe(t, { url: byType.url, types: ['price.*'], subjects: ['filter-a', 'filter-b'] })
    const b = await subscribe(t, { url: bySubject.url, subjects: ['filter-b'] })
    await appendEvents(t, registration('filter-a'), priceChange('filter-a', '1'), registration('filter-b'))
    await appendEvents(t, priceChange('filter-b', '2'), priceChange('filter-c', '3'))
    await waitUntilQuiet(t, [a.id, b.id])
    // Attempts to one endpoint run side by side: receivers order by data.position, not by arrival.
    expect(
      bodies(byType)
        .map((b) => `${b.type} ${b.data.subject}`)
        .sort(),
    ).toEqual(['price.changed filter-a', 'price.changed filter-b'])
    expect(
      bodies(bySubject)
        .map((b) => `${b.type} ${b.data.subject}`)
        .sort(),
    ).toEqual(['entity.registered filter-b', 'price.changed filter-b'])
  })

  it('but not the facts recorded before it was created', async () => {
    await appendEvents(t, priceChange('history-llm', '1'))
    const r = await receiver()
    const { id } = await subscribe(t, { url: r.url, subjects: ['history-llm'] })
    await appendEvents(t, priceChange('history-llm', '2'))
    await waitUntilQuiet(t, [id])
    expect(await deliveriesOf(t, id)).toHaveLength(1)
    expect(bodies(r).map((b) => b.data.subject)).toEqual(['history-llm'])
    expect(r.requests).toHaveLength(1)
  })
})

describe('failures are retried on schedule', () => {
  it('a receiver that answers 500 twice then 200 gets the delivery three times under one webhook-id', async () => {
    const r = await receiver()
    r.answer = (_req, n) => (n <= 2 ? { status: 500, body: 'not now' } : { status: 200 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['flaky-llm'] })
    await appendEvents(t, priceChange('flaky-llm', '1'))
    const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'delivered')
    expect(r.requests).toHaveLength(3)
    expect(new Set(ids(r))).toEqual(new Set([delivery?.id]))
    expect(delivery?.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200])
    expect(delivery?.attempts[0]?.responseBody).toBe('not now')
    expect(delivery?.deliveredAt).not.toBeNull()
  })

  it('a receiver that never answers in time is tried on the whole schedule, then the delivery is failed', async () => {
    const r = await receiver()
    r.answer = () => ({ status: 200, delayMs: 2000 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['slow-llm'] })
    await appendEvents(t, priceChange('slow-llm', '1'))
    const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'failed', 20_000)
    expect(delivery?.attempts).toHaveLength(6)
    for (const attempt of delivery?.attempts ?? []) {
      expect(attempt.statusCode).toBeNull()
      expect(attempt.error).toBe('no answer within 500 ms')
      expect(attempt.durationMs).toBeGreaterThanOrEqual(450)
    }
    const failed = await t.inject(`/v1/webhooks/${id}/deliveries?status=failed`)
    expect(failed.json().deliveries.map((d: { id: string }) => d.id)).toEqual([delivery?.id])
  })

  it('a receiver that is down and comes back gets the delivery', async () => {
    const port = await freePort()
    const { id } = await subscribe(t, { url: `http://127.0.0.1:${port}/hooks`, subjects: ['down-llm'] })
    await appendEvents(t, priceChange('down-llm', '1'))
    await waitForDeliveries(t, id, (d) => (d[0]?.attempts.length ?? 0) >= 1)
    const r = await receiver(port)
    const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'delivered')
    expect(delivery?.attempts[0]?.error).toBe('connection refused')
    expect(delivery?.attempts.at(-1)?.statusCode).toBe(204)
    expect(ids(r)).toEqual([delivery?.id])
  })
})

describe('what a receiver answers cannot stop the bookkeeping', () => {
  it('an answer with a NUL byte is kept with U+FFFD in its place, and every other delivery is still recorded', async () => {
    const hostile = await receiver()
    hostile.answer = (_req, n) => (n === 1 ? { status: 500, body: 'ok\x00bad' } : { status: 204 })
    const healthy = await receiver()
    const bad = await subscribe(t, { url: hostile.url, subjects: ['nul-llm'] })
    const good = await subscribe(t, { url: healthy.url, subjects: ['nul-llm'] })
    await appendEvents(t, priceChange('nul-llm', '1'))
    await appendEvents(t, ...Array.from({ length: 5 }, (_, i) => priceChange('nul-llm', `2.${i}`)))

    const recorded = await waitForDeliveries(
      t,
      good.id,
      (d) => d.length === 6 && d.every((x) => x.status === 'delivered'),
    )
    expect(recorded.map((d) => d.attemptCount)).toEqual([1, 1, 1, 1, 1, 1])
    const answered = await waitForDeliveries(
      t,
      bad.id,
      (d) => d.length === 6 && d.every((x) => x.status === 'delivered'),
    )
    // The first request the receiver got, whichever event it carried, was answered with the NUL.
    const refused = answered.filter((d) => d.attempts.length > 1)
    expect(refused.map((d) => d.attempts.map((a) => [a.statusCode, a.responseBody]))).toEqual([
      [
        [500, 'ok\ufffdbad'],
        [204, null],
      ],
    ])
  })
})

describe('an administrator can', () => {
  it('pause a subscription: its deliveries wait, and are sent when it is active again', async () => {
    const r = await receiver()
    const { id } = await subscribe(t, { url: r.url, subjects: ['paused-llm'] })
    const paused = await t.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: { status: 'paused' },
    })
    expect(paused.json().status).toBe('paused')
    await appendEvents(t, priceChange('paused-llm', '1'), priceChange('paused-llm', '2'))
    const waiting = await waitForDeliveries(t, id, (d) => d.length === 2)
    // Recorded without a job, nothing can send them.
    expect(await jobsOf(waiting.map((d) => d.id))).toEqual([null, null])
    expect(r.requests).toHaveLength(0)
    expect(waiting.map((d) => d.status)).toEqual(['pending', 'pending'])

    await t.inject({ method: 'PATCH', url: `/v1/webhooks/${id}`, payload: { status: 'active' } })
    await r.waitFor((requests) => requests.length === 2)
    expect(new Set(ids(r))).toEqual(new Set(waiting.map((d) => d.id)))
  })

  it('retry a failed delivery by hand, under the same webhook-id', async () => {
    const r = await receiver()
    r.answer = () => ({ status: 500 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['manual-llm'] })
    await appendEvents(t, priceChange('manual-llm', '1'))
    const [failed] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'failed', 20_000)
    r.answer = () => ({ status: 200 })
    const retry = await t.inject({ method: 'POST', url: `/v1/webhooks/${id}/deliveries/${failed?.id}/retry` })
    expect(retry.statusCode).toBe(202)
    const [delivered] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'delivered')
    expect(delivered?.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500, 500, 500, 200])
    expect(new Set(ids(r))).toEqual(new Set([failed?.id]))
  })

  it('replay history from a position: new deliveries, marked with the replay', async () => {
    const events = await appendEvents(
      t,
      priceChange('replay-llm', '1'),
      priceChange('replay-other', '2'),
      priceChange('replay-llm', '3'),
    )
    const r = await receiver()
    const { id } = await subscribe(t, { url: r.url, subjects: ['replay-llm'] })
    const first = events[0]?.position ?? 0
    const replay = await t.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/replay`,
      payload: { fromPosition: first },
    })
    expect(replay.statusCode, replay.body).toBe(202)
    expect(replay.json()).toMatchObject({ fromPosition: first, subscriptionId: id })
    await r.waitFor((requests) => requests.length === 2)
    expect(
      bodies(r)
        .map((b) => b.data.id)
        .sort(),
    ).toEqual([events[0]?.id, events[2]?.id].sort())
    const log = await deliveriesOf(t, id)
    expect(log.every((d) => d.replayId === replay.json().id)).toBe(true)
    const done = await t.inject(`/v1/webhooks/${id}/replays/${replay.json().id}`)
    expect(done.json()).toMatchObject({ deliveries: 2, position: done.json().toPosition })
    expect(done.json().completedAt).not.toBeNull()

    // A second replay of the same history makes new deliveries again.
    await t.inject({ method: 'POST', url: `/v1/webhooks/${id}/replay`, payload: { fromPosition: first } })
    await r.waitFor((requests) => requests.length === 4)
    expect(new Set(ids(r)).size).toBe(4)
  })

  it('replay what was recorded since an instant', async () => {
    const before = await appendEvents(t, priceChange('since-llm', '1'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const since = new Date().toISOString()
    const after = await appendEvents(t, priceChange('since-llm', '2'))
    const r = await receiver()
    const { id } = await subscribe(t, { url: r.url, subjects: ['since-llm'] })
    const replay = await t.inject({ method: 'POST', url: `/v1/webhooks/${id}/replay`, payload: { since } })
    expect(replay.statusCode, replay.body).toBe(202)
    await waitUntilQuiet(t, [id])
    expect(bodies(r).map((b) => b.data.id)).toEqual([after[0]?.id])
    expect(before[0]?.id).not.toBe(after[0]?.id)
  })

  it('rotate the secret: for a day, deliveries carry signatures by both secrets', async () => {
    const r = await receiver()
    const { id, secret: old } = await subscribe(t, { url: r.url, subjects: ['rotated-llm'] })
    const rotated = await t.inject({ method: 'POST', url: `/v1/webhooks/${id}/secret/rotate` })
    const { secret, previousSecretExpiresAt } = rotated.json()
    expect(secret).toMatch(/^whsec_/)
    expect(secret).not.toBe(old)
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000)
    await appendEvents(t, priceChange('rotated-llm', '1'))
    await r.waitFor((requests) => requests.length === 1)
    const [request] = r.requests
    if (!request) throw new Error('no request')
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2)
    for (const key of [old, secret]) {
      expect(() =>
        new Webhook(key).verify(request.body, request.headers as Record<string, string>),
      ).not.toThrow()
    }
    expect((await t.inject(`/v1/webhooks/${id}/secret`)).json().secret).toBe(secret)
  })
})

describe('under concurrent appends', () => {
  it('every matching fact reaches every subscription as one delivery, repeats only under its webhook-id', async () => {
    const all = await receiver()
    const prices = await receiver()
    const one = await receiver()
    const subscriptions = [
      await subscribe(t, { url: all.url, subjects: ['busy-a', 'busy-b'] }),
      await subscribe(t, { url: prices.url, types: ['price.*'], subjects: ['busy-a', 'busy-b'] }),
      await subscribe(t, { url: one.url, subjects: ['busy-b'] }),
    ]
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 15; i++) {
        const subject = i % 2 === 0 ? 'busy-a' : 'busy-b'
        await appendEvents(t, priceChange(subject, `${w}.${i}`), registration(subject))
      }
    })
    await Promise.all(writers)
    await waitUntilQuiet(
      t,
      subscriptions.map((s) => s.id),
      30_000,
    )
    for (const [r, expected] of [
      [all, 120],
      [prices, 60],
      // busy-b on the odd rounds: 4 writers × 7 rounds × 2 events.
      [one, 56],
    ] as const) {
      // At least once: an attempt that timed out on a busy machine is sent again, under its webhook-id.
      expect(r.requests.length).toBeGreaterThanOrEqual(expected)
      expect(new Set(ids(r)).size).toBe(expected)
      expect(new Set(bodies(r).map((b) => b.data.id)).size).toBe(expected)
      const eventOf = new Map<string, string>()
      bodies(r).forEach((body, i) => {
        const id = ids(r)[i] as string
        expect(eventOf.get(id) ?? body.data.id).toBe(body.data.id)
        eventOf.set(id, body.data.id)
      })
    }
    expect(bodies(one).every((b) => b.data.subject === 'busy-b')).toBe(true)
    expect(bodies(prices).every((b) => b.type === 'price.changed')).toBe(true)
  })
})
