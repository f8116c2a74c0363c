import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { removeDataFolder } from '../src/db/embedded.js'
import { launchChromium } from '../test/support/browser.js'
import { startService, waitForOk } from '../test/support/process.js'

/**
 * `npm run screenshots`: the explorer's main views as PNG files in docs/screenshots/, taken from
 * `npm start`'s own process (embedded PostgreSQL in a throwaway folder, seed facts loaded) in
 * headless Chromium. Chinese names need a CJK font on the machine (Debian: fonts-noto-cjk).
 */
const out = new URL('../docs/screenshots/', import.meta.url)
const folder = await mkdtemp(path.join(tmpdir(), 'market-timeline-screenshots-'))
const service = await startService({ DATA_DIR: path.join(folder, 'data'), LOG_LEVEL: 'warn' })
let browser: Browser | undefined
try {
  await waitForOk(`${service.baseUrl}/ready`, 120_000)
  const { position } = (await (await fetch(`${service.baseUrl}/v1/events/head`)).json()) as {
    position: number
  }
  await waitForOk(`${service.baseUrl}/v1/companies/baidu?consistentWith=${position}`, 60_000)
  await mkdir(out, { recursive: true })
  browser = await launchChromium()

  const desktop = { width: 1440, height: 1000 }
  await shoot(browser, desktop, '/?asOf=2024-06-30', 'overview.png')
  await shoot(
    browser,
    desktop,
    '/?asOf=2024-06-30&type=price.changed',
    'timeline-price-war.png',
    async (page) => {
      await page.locator('#jump-to').selectOption('2024-05')
      return undefined
    },
  )
  await shoot(browser, desktop, '/?asOf=2024-06-30', 'price-chart.png', async (page) => {
    await page.locator('svg.price-chart').waitFor()
    return page.locator('section[aria-labelledby="chart-title"]')
  })
  for (const date of ['2024-04-30', '2024-06-30']) {
    await shoot(browser, desktop, `/?asOf=${date}`, `prices-${date}.png`, async (page) =>
      page.locator('#prices-panel'),
    )
  }
  await shoot(
    browser,
    desktop,
    '/?asOf=2024-06-30&compareFrom=2024-04-30&compareTo=2024-06-30',
    'compare-2024-04-30-2024-06-30.png',
    async (page) => {
      await page.locator('[data-model="price"] tr.change').first().waitFor({ timeout: 60_000 })
      return page.locator('#compare')
    },
  )
  await shoot(
    browser,
    desktop,
    '/?asOf=2024-06-30&history=qwen-long',
    'history-qwen-long.png',
    async (page) => {
      await page.locator('#history-panel .history-entry').first().waitFor({ timeout: 60_000 })
      return page.locator('#history-panel')
    },
  )
  await shoot(browser, { width: 390, height: 844 }, '/?asOf=2024-06-30', 'phone.png')
  console.log(`screenshots written to ${out.pathname}`)
} finally {
  await browser?.close()
  await service.stop()
  await removeDataFolder(path.join(folder, 'data'))
  await rm(folder, { recursive: true, force: true })
}

/** Opens `url`, waits for the page, runs `arrange`, and saves the element it returns, or the viewport. */
async function shoot(
  browser: Browser,
  viewport: { width: number; height: number },
  url: string,
  file: string,
  arrange: (page: Page) => Promise<Locator | undefined> = async () => undefined,
): Promise<void> {
  const page = await browser.newPage({ viewport })
  try {
    await page.goto(`${service.baseUrl}${url}`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 })
    const element = await arrange(page)
    await page.locator('.entry').first().waitFor()
    await page.waitForTimeout(500)
    await (element ?? page).screenshot({ path: new URL(file, out).pathname })
  } finally {
    await page.close()
  }
}
