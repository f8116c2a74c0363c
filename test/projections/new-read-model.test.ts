import { sql } from 'kysely'
import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MarketEvent } from '../../events/index.js'
import { projections } from '../../projections/index.js'
import { Slug } from '../../src/catalogue/fields.js'
import {
  type ChangePoint,
  changePointTable,
  insertRows,
  knownAt,
  pointOf,
} from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { asOfAndKnownAt } from '../../src/queries/parameters.js'
import { defineQuery } from '../../src/queries/query.js'
import { startTestApp, type TestApp } from '../support/app.js'

/**
 * A read model written the way a new one is: its tables, its handler and its query in one place,
 * registered by adding it to the list. Everything else (the route, its document, the point in
 * time, the consistency wait, retractions) comes from the machinery.
 */
interface LaunchRow extends ChangePoint {
  product: string
  company: string
}

const listLaunches = defineQuery({
  operationId: 'listLaunches',
  path: '/v1/launches',
  summary: 'Products launched by a date',
  querystring: { ...asOfAndKnownAt, company: Type.Optional(Slug) },
  answer: Type.Object({
    asOf: Instant,
    launches: Type.Array(Type.Object({ product: Type.String(), company: Type.String(), since: Instant })),
  }),
  readModels: ['launches'],
  cache: 'when-asOf-given',
  async run({ db, at, cached }, { query }) {
    const company = query.company ?? null
    const launches = await cached(async () => {
      const { rows } = await sql<{ product: string; company: string; effective_from: Date }>`
        select l.product, l.company, l.effective_from from rm_launches.launches l
         where ${knownAt('l', at.knownAt)} and l.effective_from <= ${at.asOf}
           and (${company}::text is null or l.company = ${company})
         order by l.effective_from, l.position`.execute(db)
      return rows.map((r) => ({
        product: r.product,
        company: r.company,
        since: r.effective_from.toISOString(),
      }))
    })
    return { asOf: at.asOf.toISOString(), launches }
  },
})

const launchesProjection = defineProjection<{ launches: LaunchRow }, MarketEvent>({
  name: 'launches',
  description: 'Every product launch',
  tables: { launches: changePointTable('product text not null, company text not null') },
  indexes: ['launches (effective_from, position)', 'launches (event_id)'],
  eventTypes: ['product.launched'],
  async apply(db, events, { marketTz }) {
    const rows = events.flatMap((e) =>
      e.type === 'product.launched'
        ? [{ product: e.subject, company: e.data.company, ...pointOf(e, marketTz) }]
        : [],
    )
    await insertRows(db, 'launches', rows)
  },
  queries: [listLaunches],
})

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ projections: [...projections, launchesProjection], worker: true })
})
afterAll(() => t.close())

async function launch(
  product: string,
  company: string,
  occurredAt: string,
): Promise<{ position: number; id: string }> {
  const res = await t.inject({
    method: 'POST',
    url: '/v1/events',
    payload: {
      events: [
        {
          type: 'product.launched',
          subject: product,
          occurredAt,
          data: { company, name: product, category: 'llm' },
        },
      ],
    },
  })
  expect(res.statusCode).toBe(201)
  const [event] = res.json().events
  return { position: event.position, id: event.id }
}

describe('a read model added as one module and one line in the list', () => {
  it('is documented in the OpenAPI document like every other query', async () => {
    const document = (await t.inject('/docs/json')).json()
    const operation = document.paths['/v1/launches'].get
    expect(operation.operationId).toBe('listLaunches')
    expect(operation.tags).toEqual(['read models'])
    expect(operation.parameters.map((p: { name: string }) => p.name)).toEqual([
      'asOf',
      'knownAt',
      'reportedBy',
      'consistentWith',
      'company',
      'include',
    ])
  })

  it('answers what was just appended when asked consistentWith its position', async () => {
    await launch('glm-4', 'zhipu', '2024-01-16')
    const { position } = await launch('kimi', 'moonshot', '2023-10-09')
    const res = await t.inject(`/v1/launches?consistentWith=${position}`)
    expect(res.statusCode).toBe(200)
    expect(res.json().launches).toEqual([
      { product: 'kimi', company: 'moonshot', since: '2023-10-09T00:00:00.000Z' },
      { product: 'glm-4', company: 'zhipu', since: '2024-01-16T00:00:00.000Z' },
    ])
  })

  it('reads asOf as the end of the date given, and refuses an impossible one naming the field', async () => {
    const { position } = await launch('ernie-4', 'baidu', '2023-10-17')
    const res = await t.inject(`/v1/launches?asOf=2023-10&company=baidu&consistentWith=${position}`)
    expect(res.json()).toEqual({
      asOf: '2023-10-31T23:59:59.999Z',
      launches: [{ product: 'ernie-4', company: 'baidu', since: '2023-10-17T00:00:00.000Z' }],
    })
    const bad = await t.inject('/v1/launches?asOf=2023-02-30')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].path).toBe('/asOf')
  })

  it('drops a retracted launch from answers known after the retraction, as the projector does for any read model', async () => {
    const { id } = await launch('spark-x', 'iflytek', '2024-02-01')
    const retraction = await t.inject({
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          {
            type: 'event.retracted',
            subject: 'spark-x',
            occurredAt: '2024-02-02',
            data: { eventId: id, reason: 'never happened' },
          },
        ],
      },
    })
    expect(retraction.statusCode).toBe(201)
    const position = retraction.json().events[0].position
    const res = await t.inject(`/v1/launches?company=iflytek&consistentWith=${position}`)
    expect(res.json().launches).toEqual([])
  })
})
