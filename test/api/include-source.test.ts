import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'
import { eventually } from '../support/eventually.js'

/** `include=source` on read-model queries: each row with an eventId carries its event's source. */

const cited = { publisher: 'Test Daily', title: 'Prices cut', publishedAt: '2024-06', quote: 'cut to 0.0005' }

const facts: EventInput[] = [
  registration('src-co', 'Source Co'),
  registration('src-model', 'Source Model', {
    data: { kind: 'product', name: 'Source Model', owner: 'src-co' },
  }),
  {
    type: 'price.changed',
    subject: 'src-model',
    occurredAt: '2024-05-21',
    data: { component: 'input', amount: '0.0005', currency: 'CNY', unit: 'per 1K tokens' },
    source: cited,
  },
  {
    type: 'price.changed',
    subject: 'src-model',
    occurredAt: '2024-05-21',
    data: { component: 'output', amount: '0.002', currency: 'CNY', unit: 'per 1K tokens' },
  },
]

interface Price {
  component: string
  eventId: string
  source?: unknown
}

for (const cache of [true, false]) {
  describe(`include=source, answer cache ${cache ? 'on' : 'off'}`, () => {
    let t: TestApp
    let ids: Record<string, string> = {}
    beforeAll(async () => {
      t = await startTestApp({ worker: true, env: cache ? {} : { ANSWER_CACHE_BYTES: '0' } })
      const stored = (await t.store.append(facts)).events
      ids = { input: stored[2]?.id ?? '', output: stored[3]?.id ?? '' }
      const head = stored.at(-1)?.position ?? 0
      const ready = await t.inject(`/v1/prices?product=src-model&consistentWith=${head}`)
      expect(ready.statusCode).toBe(200)
    }, 60_000)
    afterAll(() => t.close())

    const prices = async (query: string): Promise<Price[]> => {
      const res = await t.inject(`/v1/prices?product=src-model&asOf=2024-12-31${query}`)
      expect(res.statusCode, res.body).toBe(200)
      return res.json().prices
    }

    it('carries each row its own source, and only when asked, before and after a cached answer', async () => {
      const plain = await prices('')
      if (cache)
        await eventually(
          'a kept answer',
          async () => {
            await prices('')
            return t.app.answerCache?.count
          },
          5000,
        )
      expect(plain.map((p) => p.source)).toEqual([undefined, undefined])
      for (let round = 0; round < 2; round++) {
        const sourced = await prices('&include=source')
        expect(sourced.map((p) => [p.component, p.eventId, p.source])).toEqual([
          ['input', ids.input, cited],
          ['output', ids.output, null],
        ])
        // The kept answer stays without them.
        expect((await prices('')).map((p) => p.source)).toEqual([undefined, undefined])
      }
    })

    it('leaves the kept answer without them when it was first computed for include=source', async () => {
      const at = async (query: string): Promise<Price[]> => {
        const res = await t.inject(`/v1/prices?product=src-model&asOf=2024-11-30${query}`)
        expect(res.statusCode, res.body).toBe(200)
        return res.json().prices
      }
      expect((await at('&include=source')).map((p) => p.source)).toEqual([cited, null])
      expect((await at('')).map((p) => p.source)).toEqual([undefined, undefined])
      expect(JSON.stringify(await at(''))).not.toContain('Test Daily')
    })

    it('reaches the rows of every query: a product history', async () => {
      const res = await t.inject('/v1/products/src-model/prices?include=source')
      expect(res.json().changes.map((c: Price) => c.source)).toEqual([cited, null])
    })

    it('rejects any other value, naming the field', async () => {
      const res = await t.inject('/v1/prices?include=sources')
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.body).toContain('include')
    })

    if (cache) {
      it('is in the OpenAPI document: the parameter, and source beside eventId', async () => {
        const document = (await t.inject('/docs/json')).json()
        const operation = document.paths['/v1/prices'].get
        const names = operation.parameters.map((p: { name: string }) => p.name)
        expect(names).toContain('include')
        expect(names).toContain('reportedBy')
        const row = operation.responses['200'].content['application/json'].schema.properties.prices.items
        expect(Object.keys(row.properties)).toContain('source')
        expect(row.required).not.toContain('source')
      })
    }
  })
}
