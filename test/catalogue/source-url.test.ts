import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'

/**
 * A source's `url` is shown as a link in the explorer: only a web address may be one. The API
 * refuses any other scheme, and the explorer links only http(s) addresses, whatever an older
 * log holds.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const withUrl = (subject: string, url: string) =>
  registration(subject, subject, { source: { publisher: '证券日报', url } })

const append = (url: string, subject = 'sourced') =>
  t.inject({ method: 'POST', url: '/v1/events', payload: { events: [withUrl(subject, url)] } })

describe("a source's url", () => {
  it.each([
    'javascript:alert(document.cookie)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://127.0.0.1/report.pdf',
    'mailto:press@example.com',
  ])('%s is a 400 naming /events/0/source/url, and nothing is stored', async (url) => {
    const res = await append(url)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors).toContainEqual({
      path: '/events/0/source/url',
      message: 'must be an http or https URL',
    })
    expect((await t.inject('/v1/subjects/sourced/events')).json().events).toEqual([])
  })

  it.each([
    ['http://www.zqrb.cn/2024/06/llm.html', 'http-source'],
    ['https://example.com/a?b=c#d', 'https-source'],
    ['HTTPS://EXAMPLE.COM/', 'upper-source'],
  ])('%s is stored as given', async (url, subject) => {
    const res = await append(url, subject)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().events[0].source.url).toBe(url)
  })

  it('is described in the API document as an http(s) URI', async () => {
    const document = (await t.inject('/openapi.json')).json()
    expect(document.components.schemas.Event.properties.source.properties.url).toMatchObject({
      type: 'string',
      format: 'uri',
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
    })
  })
})

describe('the explorer', () => {
  /** ui/ is plain JavaScript for the browser; its link rule needs no DOM. */
  const load = async () =>
    (await import('../../ui/dom.js' as string)) as { webAddress(text: unknown): string | undefined }

  it.each([
    'javascript:alert(1)',
    ' javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,x',
    '//evil.example/',
    '/v1/events',
    'not a url',
    '',
    undefined,
  ])('makes no link of %j', async (text) => {
    expect((await load()).webAddress(text)).toBeUndefined()
  })

  it.each([
    ['http://www.zqrb.cn/a.html', 'http://www.zqrb.cn/a.html'],
    ['HTTPS://EXAMPLE.COM/x', 'https://example.com/x'],
  ])('links %s', async (text, href) => {
    expect((await load()).webAddress(text)).toBe(href)
  })
})
