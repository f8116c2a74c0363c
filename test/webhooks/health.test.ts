import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { type Answer, receivers } from '../support/receiver.js'
import { waitUntilQuiet } from '../support/webhook-quiet.js'
import { appendEvents, deliveriesOf, subscribe, waitForDeliveries } from '../support/webhooks.js'

let t: TestApp
const started = receivers()

beforeAll(async () => {
  t = await startTestApp({
    worker: true,
    env: {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,60',
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

/**
 * How long after a delivery's first attempt, answered with `answer`, its next one is planned: the
 * stored start of the pg-boss job that is to make it, which the delivery log shows as well.
 * Every later request is answered the same way.
 */
async function firstRetryPause(answer: () => Answer): Promise<number> {
  const r = await receiver()
  r.answer = answer
  const subject = `retry-after-${randomUUID()}`
  const { id } = await subscribe(t, { url: r.url, subjects: [subject] })
  await appendEvents(t, priceChange(subject, '1'))
  const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.nextAttemptAt != null)
  const { rows } = await sql<{ start_after: Date }>`
    select j.start_after from webhook_deliveries d join pgboss.job j on j.id = d.job_id
    where d.id = ${delivery?.id} and j.state = 'created'
  `.execute(t.database.handle.db)
  expect(rows).toHaveLength(1)
  const startAfter = rows[0]?.start_after.getTime()
  expect(startAfter).toBe(Date.parse(delivery?.nextAttemptAt ?? ''))
  return (startAfter ?? 0) - Date.parse(delivery?.attempts[0]?.attemptedAt ?? '')
}

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
    await waitUntilQuiet(t, [id])
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

  // The schedule's pauses are 0.2 s ± 20 %, its longest 60 s: a retry 30 s on can only be the header's.
  it.each([
    { code: 503, header: () => '30', asks: 'in 30 s', waits: 30_000 },
    { code: 429, header: () => '30', asks: 'in 30 s', waits: 30_000 },
    {
      code: 429,
      header: () => new Date(Date.now() + 30_000).toUTCString(),
      asks: 'at an HTTP-date 30 s on',
      waits: 30_000,
    },
    { code: 503, header: () => '3600', asks: 'in an hour', waits: 60_000 },
  ])('a $code asking to come back $asks is tried again after $waits ms', async ({ code, header, waits }) => {
    const pause = await firstRetryPause(() => ({ status: code, headers: { 'retry-after': header() } }))
    // An HTTP-date counts whole seconds; the attempt itself took up to WEBHOOK_TIMEOUT_MS.
    expect(pause).toBeGreaterThanOrEqual(waits - 1000)
    expect(pause).toBeLessThanOrEqual(waits + 2000)
  })

  it('a 500 asking to come back in 30 s is tried again on the schedule', async () => {
    const pause = await firstRetryPause(() => ({ status: 500, headers: { 'retry-after': '30' } }))
    expect(pause).toBeGreaterThanOrEqual(160)
    expect(pause).toBeLessThanOrEqual(240 + 1000)
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
