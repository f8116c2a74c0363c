import { fork } from 'node:child_process'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { catalogue } from '../events/index.js'
import { loadConfig } from '../src/config.js'
import { startJobQueue } from '../src/jobs.js'
import { createEventStore } from '../src/store/event-store.js'
import { startDeliveryWorker } from '../src/webhooks/delivery-worker.js'
import { startDispatcher } from '../src/webhooks/dispatcher.js'
import { createSubscription } from '../src/webhooks/subscriptions.js'
import { batches, generateHistory } from '../test/support/generate.js'
import { type BenchServer, median, ratio, silentLog } from './support.js'

/**
 * Webhook fan-out: events × subscriptions delivered to a receiver in another process on
 * 127.0.0.1, from the moment a worker starts on the backlog until every delivery is recorded
 * as delivered. The reference is the same receiver's ceiling: bare keep-alive POSTs from one
 * process at the same concurrency, with no signing, no database and no queue.
 * Quick: one run of 5 × 1,000; otherwise the median of three runs of 10 × 3,000.
 */
export interface FanOutFigures {
  readonly subscriptions: number
  readonly eventsPerRun: number
  readonly deliveriesPerSec: number
  readonly eachRun: number[]
  readonly rawPostsPerSec: number
  readonly fanOutRatioToRawPosts: number
}

export async function measureFanOut(server: BenchServer, quick: boolean): Promise<FanOutFigures> {
  const subscriptions = quick ? 5 : 10
  const eventsPerRun = quick ? 1000 : 3000
  const runs = quick ? 1 : 3
  const config = loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'silent' }).webhooks
  const log = silentLog

  const receiver = fork(new URL('./webhook-receiver.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve) =>
    receiver.stdout?.once('data', (d) => resolve(Number(String(d)))),
  )
  const receiverCount = () =>
    new Promise<number>((resolve) => {
      receiver.once('message', (n) => resolve(Number(n)))
      receiver.send('count')
    })

  const db = await server.newDatabase()
  const store = createEventStore(db.handle.db, catalogue, 'UTC')
  const boss = await startJobQueue(db.url, log, true)
  const history = [...generateHistory(7, eventsPerRun * runs, { companies: 100 })]

  const fanOut: number[] = []
  for (let run = 0; run < runs; run++) {
    await sql`delete from webhook_subscriptions`.execute(db.handle.db)
    for (let i = 0; i < subscriptions; i++) {
      await createSubscription(db.handle.db, { url: `http://127.0.0.1:${port}/s${i}`, types: ['*'] })
    }
    let appended = 0
    for (const batch of batches(history.slice(run * eventsPerRun, (run + 1) * eventsPerRun), 100)) {
      appended += (await store.append(batch)).appended
    }
    const expected = appended * subscriptions
    const before = await receiverCount()
    const started = performance.now()
    const parts = { db: db.handle.db, store, boss, databaseUrl: db.url, log }
    const dispatcher = startDispatcher({ ...parts, catalogue })
    const worker = startDeliveryWorker({ ...parts, config })
    for (;;) {
      const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from webhook_deliveries where status = 'delivered'
    `.execute(db.handle.db)
      if ((rows[0]?.n ?? 0) >= expected) break
      await sleep(50)
    }
    const seconds = (performance.now() - started) / 1000
    await dispatcher.stop()
    await worker.stop()
    const sent = (await receiverCount()) - before
    fanOut.push(expected / seconds)
    console.log(
      `run ${run + 1}: ${appended} events × ${subscriptions} subscriptions = ${expected} deliveries in ${seconds.toFixed(1)} s ` +
        `(${Math.round(expected / seconds)}/s; the receiver saw ${sent} requests)`,
    )
  }

  // The ceiling: bare POSTs to the same receiver, as many in flight as the worker allows.
  const agent = new http.Agent({ keepAlive: true })
  const body = JSON.stringify({
    type: 'price.changed',
    timestamp: new Date().toISOString(),
    data: { id: 'x' },
  })
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/raw',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          res.on('end', resolve)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  const rawRates: number[] = []
  for (let run = 0; run < runs; run++) {
    const total = eventsPerRun * subscriptions
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: subscriptions * config.concurrencyPerEndpoint }, async () => {
        while (next++ < total) await post()
      }),
    )
    rawRates.push(total / ((performance.now() - started) / 1000))
  }
  agent.destroy()

  await boss.stop({ graceful: false, wait: true, timeout: 5000 })
  await db.close()
  receiver.disconnect()

  return {
    subscriptions,
    eventsPerRun,
    deliveriesPerSec: Math.round(median(fanOut)),
    eachRun: fanOut.map(Math.round),
    rawPostsPerSec: Math.round(median(rawRates)),
    fanOutRatioToRawPosts: ratio(median(fanOut), median(rawRates)),
  }
}
