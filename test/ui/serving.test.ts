import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'

/** The timeline explorer's files, served by the service itself. */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('the explorer page', () => {
  it('is served at / without a key, under a Content-Security-Policy that allows only its own scripts', async () => {
    const res = await t.app.inject('/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.body).toContain('<script type="module" src="/ui/app.js"></script>')
    // No inline script, no address of another host.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('serves its modules and style sheet from /ui/', async () => {
    const script = await t.app.inject('/ui/app.js')
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
    const style = await t.app.inject('/ui/style.css')
    expect(style.headers['content-type']).toMatch(/^text\/css/)
    expect((await t.app.inject('/ui/../package.json')).statusCode).toBe(404)
  })

  it('leaves its files out of the OpenAPI document, which describes the endpoints it uses', async () => {
    const paths = Object.keys((await t.app.inject('/openapi.json')).json().paths)
    expect(paths.filter((path) => path === '/' || path.startsWith('/ui'))).toEqual([])
    expect(paths).toEqual(expect.arrayContaining(['/v1/events/head', '/v1/timeline/periods', '/v1/entities']))
  })
})
