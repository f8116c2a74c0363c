import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './support/app.js'
import { priceChange } from './support/events.js'
import { receivers } from './support/receiver.js'
import { appendEvents, deliveriesOf, subscribe, waitForDeliveries } from './support/webhooks.js'

let t: TestApp
const started = receivers()

beforeAll(async () => {
  t = await startTestApp({
    worker: true,
    env: {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2',
      WEBHOOK_DISABLE_AFTER: '1s',
      WEBHOOK_TIMEOUT_MS: '1000',
    },
  })
})
afterAll(async () => {
  await t?.close()
  await started.closeAll()
})

const receiver = () => started.start()

async function subscriptionOf(id: string): Promise<{ status: string; disabledReason: string | null }> {
  return (await t.inject(`/v1/webhooks/${id}`)).json()
}

describe('endpoint health', () => {
  it('an endpoint that answers 410 Gone is disabled at once and gets no further deliveries', async () => {
    const r = await receiver()
    r.answer = () => ({ status: 410 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['gone-llm'] })
    await appendEvents(t, priceChange('gone-llm', '1'))
    const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'failed')
    expect(delivery?.attempts).toHaveLength(1)
    expect(await subscriptionOf(id)).toMatchObject({
      status: 'disabled',
      disabledReason: 'the endpoint answered 410 Gone',
    })
    await appendEvents(t, priceChange('gone-llm', '2'))
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(await deliveriesOf(t, id)).toHaveLength(1)
    expect(r.requests).toHaveLength(1)
  })

  it('an endpoint that fails every delivery for WEBHOOK_DISABLE_AFTER is disabled; re-enabled, it gets what waited', async () => {
    const r = await receiver()
    r.answer = () => ({ status: 500 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['failing-llm'] })
    await appendEvents(t, priceChange('failing-llm', '1'))
    const deadline = Date.now() + 10_000
    while ((await subscriptionOf(id)).status !== 'disabled' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const disabled = await subscriptionOf(id)
    expect(disabled.status).toBe('disabled')
    expect(disabled.disabledReason).toMatch(/^every delivery failed since \d{4}-\d\d-\d\dT/)
    const [waiting] = await deliveriesOf(t, id)
    expect(waiting?.status).toBe('pending')

    r.answer = () => ({ status: 200 })
    const enabled = await t.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: { status: 'active' },
    })
    expect(enabled.json()).toMatchObject({ status: 'active', disabledReason: null, failingSince: null })
    const [delivered] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'delivered')
    expect(delivered?.id).toBe(waiting?.id)
  })

  it('Retry-After on a 503 is honoured, up to twice the scheduled pause', async () => {
    const r = await receiver()
    r.answer = (_req, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '60' } } : { status: 200 })
    const { id } = await subscribe(t, { url: r.url, subjects: ['busy-llm'] })
    await appendEvents(t, priceChange('busy-llm', '1'))
    await waitForDeliveries(t, id, (d) => d[0]?.status === 'delivered')
    const [first, second] = r.requests
    // The schedule says 0.2 s ± 20 %; the endpoint asked for 60 s; twice the schedule is the cap.
    const pause = (second?.at ?? 0) - (first?.at ?? 0)
    expect(pause).toBeGreaterThanOrEqual(300)
    expect(pause).toBeLessThan(5000)
  })

  it('redirects are not followed, and only 4 KiB of an answer is kept', async () => {
    const target = await receiver()
    const r = await receiver()
    r.answer = (_req, n) =>
      n === 1
        ? { status: 302, headers: { location: target.url } }
        : n === 2
          ? { status: 500, body: 'e'.repeat(100_000) }
          : { status: 204 }
    const { id } = await subscribe(t, { url: r.url, subjects: ['moved-llm'] })
    await appendEvents(t, priceChange('moved-llm', '1'))
    const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'delivered')
    expect(delivery?.attempts[0]).toMatchObject({
      statusCode: 302,
      error: `redirect to ${target.url} not followed`,
    })
    expect(delivery?.attempts[1]?.responseBody).toHaveLength(4096)
    expect(target.requests).toHaveLength(0)
  })

  it('one endpoint that hangs does not hold up another', async () => {
    const slow = await receiver()
    slow.answer = () => ({ status: 200, delayMs: 900 })
    const fast = await receiver()
    await subscribe(t, { url: slow.url, subjects: ['lanes-llm'] })
    await subscribe(t, { url: fast.url, subjects: ['lanes-llm'] })
    const started = Date.now()
    await appendEvents(t, ...Array.from({ length: 60 }, (_, i) => priceChange('lanes-llm', String(i))))
    await fast.waitFor((requests) => requests.length === 60)
    const fastDone = Date.now() - started
    // The slow endpoint takes 10 at a time, 0.9 s each: at least 5.4 s for 60.
    expect(fastDone).toBeLessThan(3000)
    expect(slow.requests.length).toBeLessThan(60)
    await slow.waitFor((requests) => requests.length === 60, 20_000)
  })
})
