import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { launchChromium } from '../support/browser.js'

/**
 * The explorer's comparing, history and live parts, end to end: the service on a fresh database
 * with the article seeds, over real HTTP on 127.0.0.1, in a real headless Chromium.
 */
let t: TestApp
let browser: Browser
let baseUrl: string

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await loadSeeds(t.store, catalogue, defaultSeedsDir)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

const patience = { timeout: 20_000 }

interface Visit {
  readonly page: Page
  readonly problems: string[]
  /** Every request the page made: its URL and the kind of request (`fetch`, `eventsource`, …). */
  readonly requests: { url: string; kind: string }[]
}

async function visit(path: string): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const problems: string[] = []
  const requests: { url: string; kind: string }[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text())
  })
  page.on('request', (request) => requests.push({ url: request.url(), kind: request.resourceType() }))
  await page.goto(`${baseUrl}${path}`)
  await page.waitForSelector('body[data-ready="true"]', patience)
  return { page, problems, requests }
}

async function withVisit(path: string, check: (visit: Visit) => Promise<void>): Promise<void> {
  const opened = await visit(path)
  try {
    await check(opened)
    expect(opened.problems).toEqual([])
  } finally {
    await opened.page.close()
  }
}

const pathOf = (url: string) => {
  const { pathname, search } = new URL(url)
  return `${pathname}${search}`
}

describe('the explorer follows the feed', () => {
  it('shows a fact appended over HTTP as the feed brings it, with no polling of the log', async () => {
    await withVisit('/', async ({ page, requests }) => {
      await expect
        .poll(() => requests.filter((r) => r.kind === 'eventsource').map((r) => pathOf(r.url)), patience)
        .toEqual([expect.stringMatching(/^\/v1\/feed\?after=\d+$/)])
      const id = randomUUID()
      const res = await fetch(`${baseUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${testAdminKey}` },
        body: JSON.stringify({
          events: [
            {
              id,
              type: 'price.changed',
              subject: 'doubao',
              occurredAt: '2024-07-15',
              data: { component: 'input', amount: '0.0008', currency: 'CNY', unit: '1K tokens' },
              source: { publisher: 'Example' },
            },
          ],
        }),
      })
      expect(res.status).toBe(201)
      await expect
        .poll(() => page.locator('#live-news a').textContent(), patience)
        .toContain('Doubao, 15 July 2024')
      expect(await page.locator('#live-status').textContent()).toMatch(/^Live · log position \d+$/)
      const polls = requests.filter((r) => /\/v1\/events\?/.test(r.url))
      expect(polls).toEqual([])
    })
  })
})

describe('where reads need a key', () => {
  it('polls the log instead, an EventSource having no way to send the key', async () => {
    const keyed = await startTestApp({ worker: true, env: { READ_ACCESS: 'key' } })
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    try {
      await keyed.app.listen({ port: 0, host: '127.0.0.1' })
      const origin = `http://127.0.0.1:${(keyed.app.server.address() as AddressInfo).port}`
      const requests: { url: string; kind: string }[] = []
      page.on('request', (request) => requests.push({ url: request.url(), kind: request.resourceType() }))
      await page.goto(`${origin}/`)
      await page.locator('#api-key').fill(testAdminKey)
      await page.locator('#key-form button[type="submit"]').click()
      await page.waitForSelector('body[data-ready="true"]', patience)
      const res = await keyed.inject({
        method: 'POST',
        url: '/v1/events',
        payload: {
          events: [
            {
              type: 'entity.registered',
              subject: 'lumen-labs',
              occurredAt: '2024-08-01',
              data: { kind: 'company', name: 'Lumen Labs' },
            },
          ],
        },
      })
      expect(res.statusCode).toBe(201)
      await expect
        .poll(() => page.locator('#live-news a').textContent(), patience)
        .toContain('Lumen Labs, 1 August 2024')
      expect(requests.filter((r) => r.kind === 'eventsource')).toEqual([])
      expect(requests.filter((r) => /\/v1\/events\?after=/.test(r.url)).length).toBeGreaterThan(0)
    } finally {
      await page.close()
      await keyed.close()
    }
  })
})

describe('the timeline', () => {
  it("opens at the as-of date's period, the facts before it above the fold", async () => {
    await withVisit('/?asOf=2024-05-31', async ({ page }) => {
      // The period of the first entry below the point-in-time bar: what the page shows first.
      const firstInView = () =>
        page.evaluate<string | undefined>(`(() => {
          const bar = document.getElementById('point-in-time').getBoundingClientRect().bottom
          const entry = [...document.querySelectorAll('.entry')].find(
            (e) => e.getBoundingClientRect().bottom > bar + 40,
          )
          return entry?.closest('section.period')?.dataset.period
        })()`)
      await expect.poll(firstInView, patience).toBe('2024-05')
      const periods = await page.evaluate<string[]>(
        `[...document.querySelectorAll('section.period')].map((s) => s.dataset.period)`,
      )
      expect(periods.filter((period) => period < '2024-05').length).toBeGreaterThan(0)
      expect(await page.evaluate<number>('window.scrollY')).toBeGreaterThan(0)
    })
  })

  it('folds registrations away until asked, and keeps the choice in the address', async () => {
    await withVisit('/?subject=qwen-long', async ({ page }) => {
      const registrations = page.locator('.entry[data-type="entity.registered"]')
      await page.locator('.entry').first().waitFor(patience)
      expect(await registrations.count()).toBe(0)
      expect(await page.locator('#show-reference').isChecked()).toBe(false)
      await page.locator('#show-reference').check()
      await expect.poll(() => new URL(page.url()).searchParams.get('kind')).toBe('all')
      await expect.poll(() => registrations.count(), patience).toBeGreaterThan(0)
      await page.goBack()
      await expect.poll(() => registrations.count(), patience).toBe(0)
      expect(await page.locator('#show-reference').isChecked()).toBe(false)
    })
  })
})

describe('the history panel', () => {
  it("opens from a product's name in the price table with its facts, the retracted one marked", async () => {
    await withVisit('/?asOf=2024-06-30', async ({ page }) => {
      await page.locator('#prices-panel tr[data-product="qwen-long"] th button[data-history]').first().click()
      const panel = page.locator('#history-panel')
      await expect.poll(() => panel.isVisible(), patience).toBe(true)
      expect(await page.locator('#history-title').textContent()).toContain('Qwen-Long')
      const entries = panel.locator('.history-entry')
      await expect.poll(() => entries.count(), patience).toBeGreaterThan(1)
      const text = (await entries.allTextContents()).join('\n')
      expect(text).toContain('Qwen-Long input price 0.02 → 0.0005')
      // Registrations are part of a subject's history.
      expect(await panel.locator('.history-entry[data-type="entity.registered"]').count()).toBeGreaterThan(0)
      // The seeds' corrections retract the cut and restate it.
      const retracted = panel.locator('.history-entry.retracted')
      expect(await retracted.count()).toBeGreaterThan(0)
      expect(await retracted.first().locator('.retraction').textContent()).toMatch(/^Retracted /)
      expect(await panel.locator('.history-entry.correction').count()).toBeGreaterThan(0)
      await page.keyboard.press('Escape')
      expect(await panel.isHidden()).toBe(true)
    })
  })

  it('opens from a name in the timeline and from an alliance member', async () => {
    await withVisit('/', async ({ page }) => {
      const panel = page.locator('#history-panel')
      const name = page.locator('.entry .subject[data-history]').first()
      await name.waitFor(patience)
      const subject = await name.getAttribute('data-history')
      await name.click()
      await expect.poll(() => panel.getAttribute('data-subject'), patience).toBe(subject)
      await expect.poll(() => panel.locator('.history-entry').count(), patience).toBeGreaterThan(0)
      await page.locator('#history-close').click()
      const member = page.locator('#alliances-panel .members li button[data-history]').first()
      const slug = await member.getAttribute('data-history')
      await member.click()
      await expect.poll(() => panel.getAttribute('data-subject'), patience).toBe(slug)
      await expect.poll(() => panel.isVisible()).toBe(true)
      await expect.poll(() => panel.locator('.history-entry').count(), patience).toBeGreaterThan(0)
    })
  })
  it('keeps the open panel in the address: a reload or the link opens it again, closing removes it', async () => {
    await withVisit('/?asOf=2024-06-30', async ({ page }) => {
      const panel = page.locator('#history-panel')
      await page.locator('#prices-panel tr[data-product="qwen-long"] th button[data-history]').first().click()
      await expect.poll(() => panel.getAttribute('data-subject'), patience).toBe('qwen-long')
      const url = new URL(page.url())
      expect(url.searchParams.get('history')).toBe('qwen-long')
      expect(url.searchParams.get('asOf')).toBe('2024-06-30')

      await page.reload()
      await page.waitForSelector('body[data-ready="true"]', patience)
      await expect.poll(() => panel.isVisible(), patience).toBe(true)
      expect(await panel.getAttribute('data-subject')).toBe('qwen-long')
      expect(await page.locator('#history-title').textContent()).toContain('Qwen-Long')
      await expect.poll(() => panel.locator('.history-entry').count(), patience).toBeGreaterThan(1)

      await withVisit(pathOf(url.href), async ({ page: shared }) => {
        const opened = shared.locator('#history-panel')
        await expect.poll(() => opened.isVisible(), patience).toBe(true)
        expect(await opened.getAttribute('data-subject')).toBe('qwen-long')
        await expect.poll(() => opened.locator('.history-entry').count(), patience).toBeGreaterThan(1)
      })

      await page.locator('#history-close').click()
      expect(await panel.isHidden()).toBe(true)
      expect(new URL(page.url()).searchParams.has('history')).toBe(false)
      expect(new URL(page.url()).searchParams.get('asOf')).toBe('2024-06-30')
      // Back reopens it, forward closes it again, as with the rest of the view.
      await page.goBack()
      await expect.poll(() => panel.isVisible(), patience).toBe(true)
      expect(await panel.getAttribute('data-subject')).toBe('qwen-long')
      expect(new URL(page.url()).searchParams.get('history')).toBe('qwen-long')
      await page.goForward()
      await expect.poll(() => panel.isHidden(), patience).toBe(true)
      expect(new URL(page.url()).searchParams.has('history')).toBe(false)
    })
  })
})

describe('compare', () => {
  it('shows the Qwen-Long cut between two dates as a change, before and after highlighted', async () => {
    await withVisit('/', async ({ page }) => {
      await page.locator('#compare-from').fill('2024-04-30')
      await page.locator('#compare-to').fill('2024-06-30')
      await page.locator('#compare-form button[type="submit"]').click()
      const row = page.locator('[data-model="price"] tr.change[data-key="qwen-long/input"]')
      await row.waitFor(patience)
      expect(await row.getAttribute('data-change')).toBe('changed')
      expect(await row.locator('td.before [data-field="amount"] del').textContent()).toBe('0.02')
      expect(await row.locator('td.after [data-field="amount"] ins').textContent()).toBe('0.0005')
      expect(await row.locator('.cause-badge').getAttribute('data-cause')).toBe('valid-time')
      const url = new URL(page.url())
      expect([url.searchParams.get('compareFrom'), url.searchParams.get('compareTo')]).toEqual([
        '2024-04-30',
        '2024-06-30',
      ])
    })
  })

  it('draws the comparison the address asks for', async () => {
    await withVisit('/?compareFrom=2024-04-30&compareTo=2024-06-30', async ({ page }) => {
      expect(await page.locator('#compare-from').inputValue()).toBe('2024-04-30')
      const rows = page.locator('[data-model="price"] tr.change')
      await expect.poll(() => rows.count(), patience).toBeGreaterThan(0)
    })
  })
})

describe('a refresh that fails', () => {
  /** What a failed request costs in the console: Chromium's own line for it, nothing of the page's. */
  const pageProblems = (problems: string[]) =>
    problems.filter((problem) => !problem.startsWith('Failed to load resource:'))

  it('keeps the market drawn when the API answers an error for a new as-of date, says so, and takes the message down once the market is drawn again', async () => {
    const { page, problems } = await visit('/?asOf=2024-04-30')
    try {
      const qwen = page.locator('#prices-panel tr[data-product="qwen-long"][data-component="input"] .amount')
      await expect.poll(() => qwen.textContent(), patience).toBe('0.02')
      const failed: string[] = []
      await page.route(
        '**/v1/prices?**',
        (route) => {
          failed.push(route.request().url())
          return route.fulfill({
            status: 500,
            contentType: 'application/problem+json',
            body: JSON.stringify({
              title: 'Internal Server Error',
              status: 500,
              detail: 'The read model is unavailable',
            }),
          })
        },
        { times: 1 },
      )
      await page.locator('#as-of-date').fill('2024-06-30')
      const problem = page.locator('#problem')
      await expect.poll(() => problem.isVisible(), patience).toBe(true)
      expect(await problem.textContent()).toBe('Something went wrong: The read model is unavailable')
      expect(failed).toEqual([expect.stringContaining('asOf=2024-06-30')])
      // The last market drawn is still shown, and nothing is left busy.
      expect(await qwen.textContent()).toBe('0.02')
      expect(await page.locator('#market').getAttribute('data-as-of')).toMatch(/^2024-04-30T/)
      expect(await page.locator('#market [aria-busy]').count()).toBe(0)
      // The next refresh answers: the market at the new date, and the message gone.
      await page.locator('#as-of-date').fill('2024-07-31')
      await expect.poll(() => qwen.textContent(), patience).toBe('0.0005')
      await expect.poll(() => problem.isHidden(), patience).toBe(true)
      expect(await page.locator('#market').getAttribute('data-as-of')).toMatch(/^2024-07-31T/)
      expect(pageProblems(problems)).toEqual([])
    } finally {
      await page.close()
    }
  })

  it('says the news is not shown yet when the connection drops while the feed brings a fact, keeps what it showed, and shows the fact on the next try', async () => {
    const { page, problems, requests } = await visit('/')
    try {
      await expect
        .poll(() => requests.filter((r) => r.kind === 'eventsource').length, patience)
        .toBeGreaterThan(0)
      const prices = page.locator('#prices-panel')
      const doubaoOutput = prices.locator('tr[data-product="doubao"][data-component="output"] .amount')
      expect(await doubaoOutput.count()).toBe(0)
      const pricesBefore = await prices.textContent()
      const dropped: string[] = []
      // The market's refresh asks for the alliances (the chart's does not): that connection drops.
      await page.route(
        '**/v1/alliances?**',
        (route) => {
          dropped.push(route.request().url())
          return route.abort('connectionreset')
        },
        { times: 1 },
      )
      const res = await t.inject({
        method: 'POST',
        url: '/v1/events',
        payload: {
          events: [
            {
              type: 'price.changed',
              subject: 'doubao',
              occurredAt: '2024-09-01',
              data: { component: 'output', amount: '0.002', currency: 'CNY', unit: '1K tokens' },
            },
          ],
        },
      })
      expect(res.statusCode).toBe(201)
      const status = page.locator('#live-status')
      await expect
        .poll(() => status.textContent(), patience)
        .toMatch(/^New events not shown yet \(.+\), trying again…$/)
      expect(await status.getAttribute('class')).toContain('offline')
      expect(dropped).toEqual([expect.stringMatching(/\/v1\/alliances\?consistentWith=\d+$/)])
      // What was shown before stays shown, nothing left busy.
      expect(await prices.textContent()).toBe(pricesBefore)
      expect(await page.locator('#market [aria-busy]').count()).toBe(0)
      expect(await page.locator('#alliances-panel .alliance').count()).toBe(2)
      // Tried again after a pause: the fact is shown, and the page is live again.
      await expect.poll(() => doubaoOutput.textContent(), patience).toBe('0.002')
      await expect.poll(() => status.textContent(), patience).toMatch(/^Live · log position \d+$/)
      expect(await page.locator('#live-news a').textContent()).toContain('Doubao, 1 September 2024')
      expect(pageProblems(problems)).toEqual([])
    } finally {
      await page.close()
    }
  })
})
