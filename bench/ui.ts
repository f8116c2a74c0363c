import { mkdir, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Page } from 'playwright-core'
import { catalogue } from '../events/index.js'
import { createEventStore } from '../src/store/event-store.js'
import { launchChromium } from '../test/support/browser.js'
import { batches, generateHistory } from '../test/support/generate.js'
import { startService, waitForOk } from '../test/support/process.js'
import { machine, median, openBenchDatabase } from './support.js'

/**
 * The timeline explorer on a generated log of `--events N` (default 10,000): the real service in a
 * child process, the page in headless Chromium on 127.0.0.1. Measures the first load, an as-of
 * change, a filter change, a jump to the last period, and a scroll through the whole timeline
 * (with the browser's long tasks and the number of events drawn).
 */
const eventsArg = process.argv.indexOf('--events')
const total = eventsArg > 0 ? Number(process.argv[eventsArg + 1]) : 10_000
const runs = 3

const db = await openBenchDatabase()
const store = createEventStore(db.handle.db, catalogue, 'UTC')
for (const batch of batches(generateHistory(7, total, { companies: 40 }), 1000)) await store.append(batch)
const head = await store.headPosition()
console.log(`${head} events appended`)

const service = await startService({
  DATABASE_URL: db.url,
  SEED_ON_START: 'false',
  RATE_LIMIT_PER_MINUTE: '0',
  LOG_LEVEL: 'warn',
})
const browser = await launchChromium()
try {
  await waitForOk(`${service.baseUrl}/ready`, 60_000)
  await waitUntilProjected(`${service.baseUrl}/v1/timeline/periods?consistentWith=${head}`)
  await waitUntilProjected(`${service.baseUrl}/v1/companies/company-0?consistentWith=${head}`)
  await waitUntilProjected(`${service.baseUrl}/v1/prices?consistentWith=${head}`)

  const firstLoad: number[] = []
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    const started = performance.now()
    await page.goto(`${service.baseUrl}/`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 })
    await page.locator('.entry').first().waitFor()
    firstLoad.push(performance.now() - started)
    await page.close()
  }

  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  await page.goto(`${service.baseUrl}/`)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 })
  const periods = await page.locator('#timeline-periods > section').count()

  const asOfChange: number[] = []
  for (const date of ['2021-06-30', '2022-12-31', '2023-03-31', '2024-06-30', '2020-02-29']) {
    asOfChange.push(
      await timed(async () => {
        await page.locator('#as-of-date').fill(date)
        await until(page, `document.getElementById('market').dataset.asOf?.startsWith('${date}')`)
      }),
    )
  }

  const statusText = () => page.locator('#timeline-status').textContent()
  const everything = await statusText()
  const status = (text: string | null) =>
    `document.getElementById('timeline-status').textContent === ${JSON.stringify(text)}`
  const filterChange = await timed(async () => {
    await goTo(page, '/?type=price.changed')
    await until(page, `!(${status(everything)})`)
    await page.locator('.entry[data-type="price.changed"]').first().waitFor()
  })
  const filtered = await statusText()
  await goTo(page, '/')
  await until(page, status(everything))

  const jumpToLast = await timed(async () => {
    await page.locator('#go-latest').click()
    await until(
      page,
      `[...document.querySelectorAll('#timeline-periods > section')].at(-1).querySelector('.entry') !== null`,
    )
  })

  // Scroll from the top to the end a screen at a time, as a reader would, watching for long tasks.
  await page.evaluate(`
    window.longTasks = []
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push(entry.duration)
    }).observe({ type: 'longtask' })
    window.scrollTo(0, 0)`)
  const scrollStarted = performance.now()
  let screens = 0
  for (;;) {
    const atEnd = await page.evaluate<boolean>(`
      window.scrollBy(0, window.innerHeight)
      window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2`)
    screens++
    await sleep(16)
    if (atEnd) break
  }
  const scrollSeconds = (performance.now() - scrollStarted) / 1000
  const after = await page.evaluate<{
    entries: number
    nodes: number
    longTasks: number[]
    heapMB: number
  }>(`({
    entries: document.querySelectorAll('.entry').length,
    nodes: document.getElementsByTagName('*').length,
    longTasks: window.longTasks,
    heapMB: Math.round((performance.memory?.usedJSHeapSize ?? 0) / 2 ** 20),
  })`)

  const result = {
    date: new Date().toISOString(),
    machine: machine(),
    server: db.server,
    events: head,
    periods,
    timeline: everything,
    filtered,
    firstLoadMs: { median: Math.round(median(firstLoad)), runs: firstLoad.map(Math.round) },
    asOfChangeMs: { median: Math.round(median(asOfChange)), runs: asOfChange.map(Math.round) },
    filterChangeMs: Math.round(filterChange),
    jumpToLastPeriodMs: Math.round(jumpToLast),
    scrollThrough: {
      screens,
      seconds: Number(scrollSeconds.toFixed(1)),
      entriesDrawnAtEnd: after.entries,
      domElements: after.nodes,
      longTasks: after.longTasks.length,
      longestTaskMs: Math.round(Math.max(0, ...after.longTasks)),
      jsHeapMB: after.heapMB,
    },
  }
  console.log(JSON.stringify(result, null, 2))
  await mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await writeFile(
    new URL('./results/ui-latest.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  )
} finally {
  await browser.close()
  await service.stop()
  await db.close()
}

/** Polls an expression in the page until it holds. (waitForFunction would need eval, which the page's CSP forbids.) */
async function until(page: Page, expression: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await page.evaluate<boolean>(expression))) {
    if (performance.now() > deadline) throw new Error(`never true: ${expression}`)
    await sleep(10)
  }
}

/** Moves the page to another view as its links and the back button do, without a reload. */
async function goTo(page: Page, path: string): Promise<void> {
  await page.evaluate(
    `history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`,
  )
}

async function timed(action: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await action()
  return performance.now() - started
}

async function waitUntilProjected(url: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const res = await fetch(url)
    if (res.ok) return
    await sleep(1000)
  }
  throw new Error(`${url} never answered 200`)
}
