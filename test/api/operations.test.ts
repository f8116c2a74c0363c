import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('operations', () => {
  it('says the process lives on /health', async () => {
    const res = await t.inject('/health')
    expect(res.json()).toEqual({ status: 'ok' })
  })

  it('says ready when the database answers and migrations are applied', async () => {
    const res = await t.inject('/ready')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ready' })
  })

  it('tags every response with a request id, also inside problems', async () => {
    const res = await t.inject('/v1/events?limit=0')
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.json().requestId).toBe(res.headers['x-request-id'])
  })

  it('serves an OpenAPI document describing the events API from the validating schemas', async () => {
    const res = await t.inject('/openapi.json')
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/events',
        '/v1/events/{id}',
        '/v1/subjects/{subject}/events',
        '/health',
        '/ready',
      ]),
    )
    const body = doc.paths['/v1/events'].post.requestBody.content['application/json'].schema
    // One named schema per event type, which the discriminator on `type` maps to.
    const { oneOf, discriminator } = body.properties.events.items
    const branches = oneOf.map(
      (b: { $ref: string }) => doc.components.schemas[b.$ref.replace('#/components/schemas/', '')].title,
    )
    expect(branches).toContain('price.changed')
    expect(branches).toHaveLength(15)
    expect(discriminator.mapping['price.changed']).toBe('#/components/schemas/PriceChangedInput')
    const params = doc.paths['/v1/events'].get.parameters.map((p: { name: string }) => p.name)
    expect(params).toEqual(expect.arrayContaining(['after', 'limit', 'type', 'subject', 'from', 'to']))
  })

  it('documents every read model and admin route with its answer and its key', async () => {
    const doc = (await t.inject('/openapi.json')).json()
    const ok = (path: string, method = 'get') =>
      doc.paths[path][method].responses['200'].content['application/json'].schema
    expect(Object.keys(ok('/v1/prices').properties.prices.items.properties)).toContain('effectiveFrom')
    expect(Object.keys(ok('/v1/companies/{company}').properties)).toEqual(
      expect.arrayContaining(['fundingRounds', 'latestValuation', 'alliances', 'partnerships', 'stakes']),
    )
    expect(Object.keys(ok('/v1/timeline').properties.events.items.properties)).toContain('summary')
    expect(Object.keys(ok('/v1/alliances').properties.alliances.items.properties)).toContain('members')
    expect(Object.keys(ok('/v1/funding').properties.rounds.items.properties)).toContain('valuation')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/keys', '/v1/projections/{name}/rebuild']),
    )
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  it('serves the interactive API reference at /docs without any outside host', async () => {
    const res = await t.inject('/docs/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.body).not.toMatch(/https?:\/\/(?!localhost)[a-z0-9.-]+\/[^"']*\.(js|css)/i)
  })
})
