import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogue } from '../../events/index.js'
import { compileAppendValidator } from '../../src/catalogue/validation.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'

/**
 * `source.assumed` marks, as JSON pointers into the event, the values the source does not state.
 * A pointer must name a value of its own event: a mark on nothing is refused, naming its field.
 */
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const withAssumed = (subject: string, assumed: unknown) =>
  registration(subject, subject, {
    occurredAt: '2024-06',
    source: {
      publisher: '证券日报',
      publishedAt: '2024-06',
      note: 'Dated to the publication month.',
      assumed: assumed as string[],
    },
  })

const append = (assumed: unknown, subject = 'marked') =>
  t.inject({ method: 'POST', url: '/v1/events', payload: { events: [withAssumed(subject, assumed)] } })

describe("a source's assumed values", () => {
  it('are stored and returned as given', async () => {
    const res = await append(['/occurredAt', '/source/publishedAt', '/data/name'], 'marked-ok')
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().events[0].source.assumed).toEqual(['/occurredAt', '/source/publishedAt', '/data/name'])
  })

  it.each([
    [
      ['/occurredAt', '/data/founded'],
      '/events/0/source/assumed/1',
      '"/data/founded" names no value of this event',
    ],
    [['/source/url'], '/events/0/source/assumed/0', '"/source/url" names no value of this event'],
    [['/data/name/0'], '/events/0/source/assumed/0', '"/data/name/0" names no value of this event'],
  ])('%j is a 400 naming the pointer, and nothing is stored', async (assumed, path, message) => {
    const res = await append(assumed)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors).toContainEqual({ path, message })
    expect((await t.inject('/v1/subjects/marked/events')).json().events).toEqual([])
  })

  it.each([
    [['occurredAt'], '/events/0/source/assumed/0'],
    [[], '/events/0/source/assumed'],
    [['/occurredAt', '/occurredAt'], '/events/0/source/assumed'],
    ['/occurredAt', '/events/0/source/assumed'],
  ])('%j is a 400 naming %s', async (assumed, path) => {
    const res = await append(assumed)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
  })

  it('are checked the same way for writers that do not come through HTTP (seeds)', () => {
    const validate = compileAppendValidator(catalogue)
    expect(validate({ events: [withAssumed('seeded', ['/occurredAt'])] })).toEqual([])
    expect(validate({ events: [withAssumed('seeded', ['/data/nope'])] })).toEqual([
      { path: '/events/0/source/assumed/0', message: '"/data/nope" names no value of this event' },
    ])
  })

  it('are described in the API document', async () => {
    const document = (await t.inject('/openapi.json')).json()
    const assumed = document.components.schemas.Event.properties.source.properties.assumed
    expect(assumed).toMatchObject({ type: 'array', items: { type: 'string' } })
    expect(assumed.description).toContain('JSON pointers')
  })
})
