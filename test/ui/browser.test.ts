import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { defaultSeedsDir, loadSeeds } from '../../src/seeding.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { launchChromium } from '../support/browser.js'

/**
 * The timeline explorer end to end: the real service (API, projections, pg-boss) on a fresh
 * database with the article seeds, over real HTTP on 127.0.0.1, in a real headless Chromium.
 */
let t: TestApp
let browser: Browser
let baseUrl: string
/** The seeds' facts: the timeline leaves their registrations (reference data) out. */
let seedFacts = 0
let qwenCutId = ''
/** The page as a visitor first opens it; the tests that only look share it. */
let first: Visit

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  await loadSeeds(t.store, catalogue, defaultSeedsDir)
  // The seed files' corrections retract and restate events: count what the timeline shows.
  const head = await t.store.headPosition()
  const { periods } = (await t.inject(`/v1/timeline/periods?consistentWith=${head}`)).json()
  seedFacts = periods.reduce((sum: number, p: { count: number }) => sum + p.count, 0)
  expect(seedFacts).toBeGreaterThan(20)
  expect(seedFacts).toBeLessThan(head)
  // The cut as restated by the corrections, the last of Qwen-Long's price events.
  const qwen = await t.store.query({ subject: 'qwen-long', types: ['price.changed'], after: 0, limit: 10 })
  qwenCutId = qwen.at(-1)?.id ?? ''
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  browser = await launchChromium()
  first = await visit('/')
}, 60_000)

afterAll(async () => {
  await first?.page.close()
  await browser?.close()
  await t?.close()
})

const patience = { timeout: 20_000 }

interface Visit {
  readonly page: Page
  /** Script errors, console errors and CSP violations. */
  readonly problems: string[]
  readonly requests: string[]
}

async function visit(path: string, viewport = { width: 1280, height: 900 }): Promise<Visit> {
  const page = await browser.newPage({ viewport })
  const problems: string[] = []
  const requests: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text())
  })
  page.on('request', (request) => requests.push(request.url()))
  await page.goto(`${baseUrl}${path}`)
  await page.waitForSelector('body[data-ready="true"]', patience)
  return { page, problems, requests }
}

/**
 * Moves the open page to another view the way its own links and the back button do (the address
 * changes, the page stays): cheaper than a new page load, and the same code path.
 */
async function goTo(page: Page, path: string): Promise<void> {
  await page.evaluate(
    `history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`,
  )
}

const activeId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id')

const priceCell = (page: Page, product: string, component: string) =>
  page.locator(`#prices-panel tr[data-product="${product}"][data-component="${component}"] .amount`)

describe('the timeline explorer', () => {
  it('loads on the seed data: every event counted, the price list, alliances and company cards', async () => {
    const { page, problems } = first
    await expect.poll(() => page.locator('#timeline-status').textContent()).toContain(`${seedFacts} events`)
    expect(await page.locator('#prices-panel tbody tr').count()).toBe(4)
    expect(await page.locator('#alliances-panel .alliance').count()).toBe(2)
    expect(await page.locator('.company[data-company="baichuan"] .funding-total').textContent()).toContain(
      'USD 300,000,000 in 1 round',
    )
    expect(problems).toEqual([])
  })

  it('asks nothing of any host but the service', async () => {
    const { page, requests } = first
    await page.locator('.entry').first().waitFor(patience)
    expect(requests.length).toBeGreaterThan(10)
    expect(requests.filter((url) => !url.startsWith(`${baseUrl}/`))).toEqual([])
  })

  it('shows the May 2024 price cuts in the timeline, dated as precisely as they are known', async () => {
    const { page } = first
    await page.locator('#jump-to').selectOption('2024-05')
    const cuts = page.locator('section[data-period="2024-05"] .entry[data-type="price.changed"]')
    await expect.poll(() => cuts.count(), patience).toBe(4)
    const text = (await cuts.allTextContents()).join('\n')
    expect(text).toContain('Alibaba Cloud cut Qwen-Long input price 0.02 → 0.0005 CNY/1K tokens (-97.5%)')
    expect(text).toContain('ERNIE Speed')
    expect(text).toContain('21 May 2024')
    expect(text).toContain('证券日报')
    const alliance = page.locator('section[data-period="2024-05"] .entry[data-type="alliance.formed"] time')
    expect(await alliance.first().textContent()).toMatch(/^(\d{1,2} )?May 2024$/)
  })

  it('draws the price chart on a log scale, free as free, a linked marker per change', async () => {
    const chart = first.page.locator('svg.price-chart')
    await chart.waitFor(patience)
    expect(await chart.getAttribute('data-scale')).toBe('log')
    const ticks = await chart.locator('.y-axis text').allTextContents()
    expect(ticks).toEqual(expect.arrayContaining(['0.0001', '0.001', '0.01', 'free']))
    expect(await chart.locator('a.marker').count()).toBe(4)
    expect(await chart.locator(`a.marker[href="#event=${qwenCutId}"]`).getAttribute('aria-label')).toContain(
      'Qwen-Long input: 0.02 CNY / 1K tokens → 0.0005 CNY / 1K tokens',
    )
  })

  it('takes a chart marker to its event in the timeline', async () => {
    const { page } = first
    await page.locator(`svg.price-chart a.marker[href="#event=${qwenCutId}"]`).click()
    await expect.poll(() => activeId(page), patience).toBe(`event-${qwenCutId}`)
    expect(await page.locator(`#event-${qwenCutId}`).isVisible()).toBe(true)
  })

  it("changes Qwen-Long's price from 0.02 to 0.0005 when the as-of date moves from 2024-04-30 to 2024-06-30", async () => {
    const { page } = first
    await goTo(page, '/')
    await page.locator('#as-of-date').fill('2024-04-30')
    await expect.poll(() => priceCell(page, 'qwen-long', 'input').textContent(), patience).toBe('0.02')
    // On to the end of June with the slider, a month per arrow key.
    await page.locator('#as-of-slider').focus()
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    expect(await page.locator('#as-of-date').inputValue()).toBe('2024-06-30')
    await expect.poll(() => priceCell(page, 'qwen-long', 'input').textContent(), patience).toBe('0.0005')
    expect(await priceCell(page, 'ernie-speed', 'total').textContent()).toBe('free')
    expect(new URL(page.url()).searchParams.get('asOf')).toBe('2024-06-30')
  })

  it('steps back to the earlier view with the back button, without a reload', async () => {
    const { page } = first
    await goTo(page, '/')
    await page.locator('#as-of-date').fill('2024-04-30')
    await page.locator('#as-of-date').fill('2024-06-30')
    await expect.poll(() => priceCell(page, 'qwen-long', 'input').textContent(), patience).toBe('0.0005')
    await page.evaluate('window.sameDocument = true')
    await page.goBack()
    expect(await page.locator('#as-of-date').inputValue()).toBe('2024-04-30')
    await expect.poll(() => priceCell(page, 'qwen-long', 'input').textContent(), patience).toBe('0.02')
    expect(await page.evaluate('window.sameDocument')).toBe(true)
  })

  it('finds a name written in Chinese and filters the timeline by it, from the keyboard', async () => {
    const { page } = first
    await goTo(page, '/')
    await page.locator('#name-search').focus()
    await page.keyboard.type('腾讯')
    expect(await page.locator('#name-results button').first().textContent()).toContain('Tencent')
    await page.keyboard.press('Enter')
    await expect.poll(() => new URL(page.url()).searchParams.get('subject')).toBe('tencent')
    await expect
      .poll(() => page.locator('#timeline-status').textContent(), patience)
      .not.toContain(`${seedFacts} events`)
    expect(await page.locator('#subject-filter').textContent()).toContain('腾讯')
  })

  it('filters the timeline by type', async () => {
    const { page } = first
    await goTo(page, '/')
    await page.locator('#type-summary').click()
    await page.locator('#type-filter input').first().waitFor(patience)
    for (const box of await page.locator('#type-filter input').all()) {
      if ((await box.getAttribute('value')) !== 'price.changed') await box.uncheck()
    }
    await expect
      .poll(() => page.locator('#timeline-status').textContent(), patience)
      .toBe('4 events in 1 period')
    expect(new URL(page.url()).searchParams.get('type')).toBe('price.changed')
    await page.locator('#type-summary').click()
  })

  it('fits a phone screen without sideways scrolling', async () => {
    const { page } = first
    await goTo(page, '/?asOf=2024-06-30')
    await page.setViewportSize({ width: 390, height: 844 })
    try {
      const chartWidth = () => page.locator('svg.price-chart').getAttribute('width').then(Number)
      await expect.poll(chartWidth, patience).toBeLessThanOrEqual(390)
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
      expect(await priceCell(page, 'qwen-long', 'input').isVisible()).toBe(true)
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 })
    }
  })

  it('shows a newly appended event without a reload', async () => {
    const { page } = first
    await goTo(page, '/')
    await page.evaluate('window.stillHere = true')
    const id = randomUUID()
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          {
            id,
            type: 'price.changed',
            subject: 'doubao',
            occurredAt: '2024-07-15',
            data: { component: 'input', amount: '0.0008', currency: 'CNY', unit: '1K tokens' },
            source: { publisher: 'Example', quote: 'Doubao input at 0.0008 yuan per thousand tokens.' },
          },
        ],
      },
    })
    expect(res.statusCode).toBe(201)
    const news = page.locator('#live-news a')
    await news.waitFor(patience)
    expect(await news.textContent()).toContain('Doubao, 15 July 2024')
    await news.click()
    const entry = page.locator(`#event-${id}`)
    await expect.poll(() => activeId(page), patience).toBe(`event-${id}`)
    expect(await entry.locator('.summary').textContent()).toContain('Doubao input price to 0.0008')
    expect(await entry.getAttribute('class')).toContain('fresh')
    await expect.poll(() => priceCell(page, 'doubao', 'input').textContent(), patience).toBe('0.0008')
    expect(await page.evaluate('window.stillHere')).toBe(true)
  })

  it('shows a planned price change as a plan: marked in the timeline, in no price and no chart line', async () => {
    const { page } = first
    await goTo(page, '/')
    const id = randomUUID()
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          {
            id,
            type: 'price.changed',
            subject: 'doubao',
            occurredAt: '2024-07-20',
            data: {
              component: 'input',
              amount: '0.0001',
              currency: 'CNY',
              unit: '1K tokens',
              status: 'planned',
            },
          },
        ],
      },
    })
    expect(res.statusCode).toBe(201)
    const news = page.locator('#live-news a')
    await expect.poll(() => news.textContent(), patience).toContain('Doubao, 20 July 2024')
    await news.click()
    const entry = page.locator(`#event-${id}`)
    await expect.poll(() => activeId(page), patience).toBe(`event-${id}`)
    expect(await entry.getAttribute('class')).toContain('plan')
    expect(await entry.locator('.status-badge').textContent()).toBe('planned')
    expect(await entry.locator('.summary').textContent()).toMatch(/^Planned: /)
    await page.locator('#as-of-date').fill('2024-12-31')
    await expect.poll(() => priceCell(page, 'doubao', 'input').textContent(), patience).toBe('0.0008')
    expect(await page.locator(`svg.price-chart a.marker[href="#event=${id}"]`).count()).toBe(0)
  })

  it('names a newly registered company in the news by its name, without a reload', async () => {
    const { page } = first
    await goTo(page, '/')
    const res = await t.inject({
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          {
            type: 'entity.registered',
            subject: 'lumen-labs',
            occurredAt: '2024-08-01',
            data: { kind: 'company', name: 'Lumen Labs' },
            source: { publisher: 'Example' },
          },
        ],
      },
    })
    expect(res.statusCode).toBe(201)
    // The explorer learns from GET /v1/event-types that entity.registered names an entity.
    await expect
      .poll(() => page.locator('#live-news a').textContent(), patience)
      .toContain('Lumen Labs, 1 August 2024')
  })

  it('keeps the view in its address, to be shared', async () => {
    const { page } = await visit('/?asOf=2024-04-30&subject=baidu&scale=linear')
    try {
      expect(await page.locator('#as-of-date').inputValue()).toBe('2024-04-30')
      expect(await page.locator('#subject-filter').textContent()).toContain('Baidu')
      await expect.poll(() => priceCell(page, 'qwen-long', 'input').textContent(), patience).toBe('0.02')
      expect(await page.locator('svg.price-chart').getAttribute('data-scale')).toBe('linear')
      await expect
        .poll(() => page.locator('svg.price-chart .as-of-line').getAttribute('visibility'))
        .toBe('visible')
      const buttons = await page.locator('.entry .subject').all()
      const subjects = await Promise.all(buttons.map((button) => button.getAttribute('data-subject')))
      expect(new Set(subjects)).toEqual(new Set(['baidu']))
    } finally {
      await page.close()
    }
  })
  it('counts every funding round of a company, beyond the first page of the funding answer', {
    timeout: 60_000,
  }, async () => {
    const rounds = 1_050
    const events = Array.from({ length: rounds }, (_, i) => ({
      type: 'funding.round_closed',
      subject: 'many-rounds',
      occurredAt: '2019-03-01',
      data: { round: `Note ${i + 1}`, amount: { value: '1', currency: 'USD' }, investors: [] },
    }))
    let position = 0
    for (let i = 0; i < rounds; i += 500) {
      const { events: appended } = await t.store.append(events.slice(i, i + 500))
      position = appended.at(-1)?.position ?? position
    }
    const res = await t.inject({
      method: 'GET',
      url: `/v1/funding?asOf=2019-12-31&consistentWith=${position}`,
    })
    expect(res.json().rounds).toHaveLength(100)
    const { page, problems } = await visit('/?asOf=2019-12-31')
    try {
      await expect
        .poll(
          () => page.locator('.company[data-company="many-rounds"] .funding-total').textContent(),
          patience,
        )
        .toContain('USD 1,050 in 1050 rounds')
      expect(problems).toEqual([])
    } finally {
      await page.close()
    }
  })
})
