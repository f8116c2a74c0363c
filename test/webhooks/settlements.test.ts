import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { storableText } from '../../src/catalogue/storable-text.js'
import { startJobQueue } from '../../src/jobs.js'
import { DELIVERY_QUEUE, type DeliveryJobData } from '../../src/webhooks/delivery-jobs.js'
import { dispatchNextBatch } from '../../src/webhooks/dispatcher.js'
import { recordSettlements, type Settlement } from '../../src/webhooks/settlements.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { appendEvents, deliveriesOf, subscribe } from '../support/webhooks.js'

/** Settlements written straight to the real database, without a worker or a receiver. */
let t: TestApp
let boss: PgBoss
const logged: Array<{ msg: string; obj: object }> = []
const log = {
  warn: (obj: object, msg: string) => logged.push({ obj, msg }),
  error: (obj: object, msg: string) => logged.push({ obj, msg }),
}

beforeAll(async () => {
  t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  boss = await startJobQueue(t.database.url, log, false)
})
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true, timeout: 5000 })
  await t?.close()
})

/** Deliveries of `events` new events to one subscription, with their jobs taken as a worker takes them. */
async function takenDeliveries(subject: string, events: number) {
  const { id } = await subscribe(t, { url: 'http://127.0.0.1:9/hooks', subjects: [subject] })
  const recorded = await appendEvents(
    t,
    ...Array.from({ length: events }, (_, i) => priceChange(subject, String(i))),
  )
  const dispatched = await dispatchNextBatch({
    db: t.database.handle.db,
    store: t.store,
    catalogue,
    boss,
    databaseUrl: t.database.url,
    log,
  })
  expect(dispatched).toBe(true)
  const jobs = await boss.fetch<DeliveryJobData>(DELIVERY_QUEUE, { batchSize: events })
  expect(jobs).toHaveLength(events)
  const byPosition = new Map(recorded.map((e) => [e.position, e]))
  const deliveries = await deliveriesOf(t, id)
  return jobs.map((job) => {
    const delivery = deliveries.find((d) => d.id === job.data.deliveryId)
    return {
      jobId: job.id,
      subscriptionId: id,
      deliveryId: job.data.deliveryId,
      event: byPosition.get(delivery?.eventPosition ?? 0) as RecordedEvent,
    }
  })
}

function answered(
  taken: Awaited<ReturnType<typeof takenDeliveries>>[number],
  statusCode: number,
  responseBody?: string,
): Settlement {
  const ok = statusCode < 300
  return {
    kind: 'attempted',
    jobId: taken.jobId,
    delivery: {
      id: taken.deliveryId,
      jobId: taken.jobId,
      subscriptionId: taken.subscriptionId,
      url: 'http://127.0.0.1:9/hooks',
      secrets: [],
      nextAttempt: 0,
      event: taken.event,
    },
    result: {
      attemptedAt: new Date(),
      durationMs: 12,
      statusCode,
      error: undefined,
      responseBody,
      retryAfter: undefined,
    },
    status: ok ? 'delivered' : 'pending',
    retry: ok ? undefined : { jobId: randomUUID(), at: new Date(Date.now() + 60_000) },
    gone: false,
  }
}

async function jobStates(ids: readonly string[]): Promise<string[]> {
  const { rows } = await sql<{ state: string }>`
    select state from pgboss.job where id = any(${ids}::uuid[]) order by state
  `.execute(t.database.handle.db)
  return rows.map((r) => r.state)
}

describe('recording how deliveries went', () => {
  it('text PostgreSQL cannot keep is kept with U+FFFD in place of a NUL or a lone surrogate', () => {
    expect(storableText('ok\u0000bad')).toBe('ok\ufffdbad')
    expect(storableText('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc')
    expect(storableText('cut \ud83d')).toBe('cut \ufffd')
    expect(storableText('emoji 😀 and "quotes" \\ $$ intact')).toBe('emoji 😀 and "quotes" \\ $$ intact')
  })

  it('a settlement PostgreSQL refuses holds up no other: the rest are recorded, it is recorded failed without its answer', async () => {
    // A refusal that no cleaning of text removes: this database will not keep one particular answer.
    await sql`
      alter table webhook_attempts add constraint refuses_one_answer
      check (response_body is distinct from 'refuse me')
    `.execute(t.database.handle.db)
    const taken = await takenDeliveries('refused-llm', 10)
    const [refused, ...others] = taken
    if (!refused) throw new Error('no delivery taken')
    const batch = [...others.map((d) => answered(d, 204)), answered(refused, 500, 'refuse me')]

    const unrecorded = await recordSettlements(t.database.handle.db, boss, t.config.webhooks, batch, log)

    expect(unrecorded).toEqual([])
    const recorded = await deliveriesOf(t, refused.subscriptionId)
    const byId = new Map(recorded.map((d) => [d.id, d]))
    for (const d of others) {
      expect(byId.get(d.deliveryId)).toMatchObject({ status: 'delivered', attemptCount: 1 })
    }
    const ended = byId.get(refused.deliveryId)
    expect(ended).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
    expect(ended?.attempts).toEqual([
      expect.objectContaining({
        statusCode: 500,
        responseBody: null,
        error: expect.stringMatching(
          /^the attempt could not be recorded as it was \(PostgreSQL: .*refuses_one_answer/,
        ),
      }),
    ])
    // Every job is completed, and the refused attempt's planned retry was never queued.
    expect(await jobStates(taken.map((d) => d.jobId))).toEqual(Array(10).fill('completed'))
    const retry = batch.at(-1)
    expect(await jobStates(retry?.kind === 'attempted' && retry.retry ? [retry.retry.jobId] : [])).toEqual([])
    expect(logged.map((l) => l.msg)).toContain(
      'PostgreSQL refused a webhook attempt; it is recorded without its answer',
    )
  })
})
