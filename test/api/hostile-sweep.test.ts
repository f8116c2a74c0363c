import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maxParamLength } from '../../src/api/problems.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange, registration } from '../support/events.js'
import {
  deepJson,
  forgedCursors,
  type HostileJson,
  hostileDates,
  hostileJsonValues,
  hostileParameterValues,
  hostileUris,
  hostileUuids,
  parameterValue,
} from '../support/hostile-values.js'
import {
  type BodyField,
  bodyFields,
  bodyWith,
  type Document,
  distinctItems,
  documentAllows,
  exampleOf,
  type Operation,
  operationsOf,
  type Parameter,
  type Schema,
} from '../support/openapi-sweep.js'
import { type Receiver, startReceiver } from '../support/receiver.js'
import { appendEvents, subscribe, waitForDeliveries } from '../support/webhooks.js'

/**
 * Every operation of the served OpenAPI document, every parameter and every field of every
 * request body, sent values a hostile client would send. Whatever the document refuses is a 400
 * problem naming the field (413/414 where the request is too large to read), and stores
 * nothing; whatever it allows is never a 5xx. Path parameters name things that exist, so each
 * request reaches its handler.
 */
let t: TestApp
let receiver: Receiver
let operations: Operation[]
const ids: Record<string, string> = {}
const sent = new Map<string, number>()
/** Cases the service took (2xx): hostile text the schema allows, carried through to SQL and stored or read. */
const taken = new Map<string, number>()
/** Makes each generated event's subject (and ids) its own, so no append conflicts with an earlier one. */
let generated = 0

beforeAll(async () => {
  receiver = await startReceiver()
  t = await startTestApp({ worker: true, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  operations = operationsOf((await t.inject('/openapi.json')).json() as Document)
    // Deletions last: the ids the other operations use stay there.
    .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))

  const [company, , , event] = await appendEvents(
    t,
    registration('sweep-co', 'Sweep Co'),
    {
      type: 'product.launched',
      subject: 'sweep-model',
      occurredAt: '2024',
      data: { company: 'sweep-co', name: 'Sweep', category: 'llm' },
    },
    {
      type: 'alliance.formed',
      subject: 'sweep-alliance',
      occurredAt: '2024',
      data: { name: 'Sweep Alliance', conveners: ['sweep-co'], members: ['sweep-co'] },
    },
    priceChange('sweep-model', '0.5'),
  )
  ids.event = event?.id ?? ''
  ids.key = (
    await t.inject({ method: 'POST', url: '/v1/keys', payload: { name: 'sweep', scopes: ['read'] } })
  ).json().id
  ids.webhook = (await subscribe(t, { url: receiver.url, subjects: ['sweep-model'] })).id
  await appendEvents(t, priceChange('sweep-model', '0.4'))
  ids.delivery = (await waitForDeliveries(t, ids.webhook, (log) => log.length > 0, 60_000))[0]?.id ?? ''
  const replay = await t.inject({
    method: 'POST',
    url: `/v1/webhooks/${ids.webhook}/replay`,
    payload: { fromPosition: 1 },
  })
  ids.replay = replay.json().id
  const job = await t.inject({ method: 'POST', url: '/v1/reports/market-snapshot', payload: {} })
  ids.job = job.json().jobId
  expect(company && ids.key && ids.delivery && ids.replay && ids.job, JSON.stringify(ids)).toBeTruthy()
}, 120_000)

afterAll(async () => {
  await t?.close()
  await receiver?.close()
  const lines = [...sent].map(([part, n]) => `${part}: ${n} sent, ${taken.get(part) ?? 0} taken`)
  const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0)
  console.info(
    `hostile sweep: ${total(sent)} (operation, parameter, value) cases sent, ${total(taken)} taken (2xx)\n  ${lines.join('\n  ')}`,
  )
})

/** The real thing each path parameter names. */
function pathValue(operation: Operation, name: string): string {
  const section = operation.path.split('/')[2]
  const byName: Record<string, string | undefined> = {
    id: section === 'events' ? ids.event : section === 'keys' ? ids.key : ids.webhook,
    subject: 'sweep-co',
    company: 'sweep-co',
    product: 'sweep-model',
    alliance: 'sweep-alliance',
    name: section === 'reports' ? 'market-snapshot' : 'timeline',
    jobId: ids.job,
    deliveryId: ids.delivery,
    replayId: ids.replay,
  }
  const value = byName[name]
  if (value === undefined) throw new Error(`no value for path parameter ${name} of ${operation.operationId}`)
  return value
}

/** The operation's URL with its path parameters and required query parameters, `changed` replaced. */
function urlOf(operation: Operation, changed?: { parameter: Parameter; encoded: string }): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    changed?.parameter.in === 'path' && changed.parameter.name === name
      ? changed.encoded
      : encodeURIComponent(pathValue(operation, name)),
  )
  const query = operation.parameters
    .filter((p) => p.in === 'query' && p.required && p !== changed?.parameter)
    .map((p) => `${p.name}=${encodeURIComponent(String(exampleOf(p.schema, { optional: false })))}`)
  if (changed?.parameter.in === 'query') query.push(changed.encoded)
  return query.length ? `${path}?${query.join('&')}` : path
}

/** What a case must answer: refused (a 4xx problem — a 400 naming `field` when given — storing nothing), or anything but a 5xx. */
type Expectation =
  | { readonly refused: false }
  | { readonly refused: true; readonly field?: string; readonly status?: number }

interface Case {
  readonly part: string
  readonly label: string
  readonly request: InjectOptions
  readonly expect: Expectation
}

/** What a client could have caused to be stored: the log, keys, subscriptions, replays, report jobs, rebuilds. */
async function stored(): Promise<string> {
  const { rows } = await sql<{ state: string }>`
    select concat_ws(' ',
      (select coalesce(max(position), 0) from events),
      (select md5(coalesce(string_agg(concat_ws(',', id, name, scopes, revoked_at), ';' order by id), '')) from api_keys),
      (select md5(coalesce(string_agg(concat_ws(',', id, url, types, subjects, description, status, secret), ';' order by id), ''))
         from webhook_subscriptions),
      (select count(*) from webhook_replays),
      (select count(*) from report_jobs),
      (select string_agg(coalesce(rebuild_job_id, '-'), ',' order by name) from projections)) as state
  `.execute(t.database.handle.db)
  return rows[0]?.state ?? ''
}

const isProblem = (res: LightMyRequestResponse) =>
  /^application\/problem\+json/.test(String(res.headers['content-type']))

/** Sends the cases, one at a time; the answers that break the rules, described. */
async function sweep(cases: readonly Case[]): Promise<string[]> {
  const failures: string[] = []
  for (const c of cases) {
    sent.set(c.part, (sent.get(c.part) ?? 0) + 1)
    const before = c.expect.refused ? await stored() : ''
    const res = await t.inject(c.request)
    if (res.statusCode < 300) taken.set(c.part, (taken.get(c.part) ?? 0) + 1)
    const fail = (why: string) =>
      failures.push(`${c.part} — ${c.label}: ${why} (${res.statusCode} ${res.body.slice(0, 200)})`)
    if (res.statusCode >= 500) fail('a server error')
    else if (res.statusCode >= 400 && !isProblem(res)) fail('not application/problem+json')
    if (!c.expect.refused) continue
    const { field, status } = c.expect
    if (res.statusCode < 400) fail('accepted')
    else if (res.statusCode !== (status ?? (field ? 400 : res.statusCode))) fail(`expected ${status ?? 400}`)
    else if (field !== undefined && isProblem(res)) {
      const paths: string[] = (res.json().errors ?? []).map((e: { path: string }) => e.path)
      if (!paths.some((p) => p === field || p.startsWith(`${field}/`)))
        fail(`does not name ${field} (${paths.join(', ')})`)
    }
    if ((await stored()) !== before) fail('stored something')
  }
  return failures
}

const hasBody = (o: Operation) => o.method !== 'GET' && o.method !== 'DELETE'

describe('every documented parameter, with hostile values', () => {
  function parameterCases(operation: Operation, parameter: Parameter): Case[] {
    const part = `${operation.operationId} ${parameter.in} ${parameter.name}`
    const request = (encoded: string): InjectOptions => ({
      method: operation.method,
      url: urlOf(operation, {
        parameter,
        encoded: parameter.in === 'query' ? `${parameter.name}=${encoded}` : encoded,
      }),
      ...(hasBody(operation) ? { payload: {} } : {}),
    })
    const field = `/${parameter.name}`
    const dated = ['market-date', 'date-time'].includes(parameter.schema.format ?? '')
    const values = [
      ...hostileParameterValues,
      ...(dated ? hostileDates.map((d) => parameterValue(d.label, JSON.parse(d.json))) : []),
    ]
    const cases = values.map((v): Case => {
      const tooLong = parameter.in === 'path' && (v.value ?? v.encoded).length > maxParamLength
      // An empty segment or `..` makes another path, of another route (or none): not refused as this parameter.
      const otherPath = parameter.in === 'path' && (v.value === '' || v.value === '..')
      if (otherPath) return { part, label: v.label, request: request(v.encoded), expect: { refused: false } }
      const refused =
        v.value === undefined || tooLong || !documentAllows(parameter.schema, v.value, 'parameter')
      return {
        part,
        label: v.label,
        request: request(v.encoded),
        expect: refused
          ? {
              refused,
              ...(v.value !== undefined && !tooLong ? { field } : {}),
              ...(tooLong ? { status: 414 } : {}),
            }
          : { refused },
      }
    })
    if (parameter.in === 'query') {
      cases.push({
        part,
        label: 'given twice',
        request: {
          method: operation.method,
          url: `${urlOf(operation, { parameter, encoded: `${parameter.name}=1&${parameter.name}=2` })}`,
        },
        expect: documentAllows(parameter.schema, ['1', '2'], 'parameter')
          ? { refused: false }
          : { refused: true, field },
      })
    }
    if (parameter.name === 'next' && parameter.schema.type === 'string') {
      for (const forged of forgedCursors) {
        cases.push({
          part,
          label: `forged cursor: ${forged.label}`,
          request: request(forged.cursor),
          expect: forged.sane ? { refused: false } : { refused: true, field, status: 400 },
        })
      }
    }
    return cases
  }

  it('each path parameter, with the others naming what exists: refused or answered, never a 5xx', async () => {
    const cases = operations.flatMap((o) =>
      o.parameters.filter((p) => p.in === 'path').map((p) => parameterCases(o, p)),
    )
    expect(await sweep(cases.flat())).toEqual([])
  }, 300_000)

  it('each query parameter: refused naming it, or answered, never a 5xx', async () => {
    const cases = operations.flatMap((o) =>
      o.parameters.filter((p) => p.in === 'query').map((p) => parameterCases(o, p)),
    )
    expect(await sweep(cases.flat())).toEqual([])
  }, 300_000)

  it('each query parameter of a stream (Accept: application/x-ndjson) is refused before the stream starts', async () => {
    const streams = operations.filter((o) => o.description.includes('Accept: application/x-ndjson'))
    expect(streams.map((o) => o.operationId)).toEqual(['listEvents'])
    const cases = streams.flatMap((o) =>
      o.parameters
        .filter((p) => p.in === 'query')
        .flatMap((p) => parameterCases(o, p))
        .map((c) => ({
          ...c,
          part: `${c.part} (NDJSON)`,
          request: { ...c.request, headers: { accept: 'application/x-ndjson' } },
        })),
    )
    expect(await sweep(cases)).toEqual([])
  }, 120_000)

  it('an undocumented query parameter, even __proto__, is refused by name', async () => {
    const cases = operations
      .filter((o) => o.parameters.some((p) => p.in === 'query'))
      .flatMap((operation) =>
        ['__proto__', 'constructor', 'hasOwnProperty'].map((name): Case => {
          const url = urlOf(operation)
          return {
            part: `${operation.operationId} query (undocumented)`,
            label: name,
            request: { method: operation.method, url: `${url}${url.includes('?') ? '&' : '?'}${name}=x` },
            expect: { refused: true, field: `/${name}` },
          }
        }),
      )
    expect(await sweep(cases)).toEqual([])
  }, 120_000)

  it('a hostile Authorization header is a 401 problem on every operation, and stores nothing', async () => {
    const headers = [
      `Bearer ${'a'.repeat(10_000)}`,
      'Bearer 99999999999999999999',
      'Bearer __proto__',
      `Bearer mt_${'f'.repeat(32)}_${'A'.repeat(43)}`,
      `Bearer mt_${ids.key?.replaceAll('-', '')}_${'A'.repeat(43)}`,
      "Bearer '; drop table api_keys; --",
      'Basic YTpi',
      'Bearer',
      'Bearer a b',
    ]
    const cases = operations.flatMap((operation) =>
      headers.map(
        (authorization): Case => ({
          part: `${operation.operationId} header Authorization`,
          label: authorization.slice(0, 40),
          request: {
            method: operation.method,
            url: urlOf(operation),
            headers: { authorization },
            ...(hasBody(operation) ? { payload: {} } : {}),
          },
          expect: operation.responses.includes('401') ? { refused: true, status: 401 } : { refused: false },
        }),
      ),
    )
    expect(await sweep(cases)).toEqual([])
  }, 120_000)
})

describe('every field of every documented request body, with hostile values', () => {
  /** Values for a field: the general ones, those of its format, and for arrays the sizes that matter. */
  function valuesFor(field: BodyField, batchItem?: (n: number) => unknown): HostileJson[] {
    const { schema } = field
    const formats = [schema, ...(schema.anyOf ?? [])].map((s) => s.format)
    const byFormat = [
      ...(formats.includes('market-date') || formats.includes('date-time') ? hostileDates : []),
      ...(formats.includes('uuid') ? hostileUuids : []),
      ...(formats.includes('uri') || field.pointer.endsWith('/url') ? hostileUris : []),
    ]
    if (schema.type !== 'array' || !schema.items) return [...hostileJsonValues, ...byFormat]
    const items = (count: number) =>
      batchItem
        ? Array.from({ length: count }, (_, n) => batchItem(n))
        : distinctItems(schema.items as Schema, count)
    const max = schema.maxItems ?? 100
    return [
      ...hostileJsonValues.filter((v) => !v.json.startsWith('[')),
      { label: 'a 10,000-deep array', json: deepJson(10_000) },
      { label: `the documented maximum (${max} items)`, json: JSON.stringify(items(max)) },
      { label: `one more than the maximum (${max + 1} items)`, json: JSON.stringify(items(max + 1)) },
      { label: 'an item twice', json: ((one) => JSON.stringify([...one, ...one]))(items(1)) },
      { label: 'an item that is an array', json: '[["x"]]' },
      ...hostileJsonValues.slice(0, 5).map((v) => ({ label: `an item: ${v.label}`, json: `[${v.json}]` })),
    ]
  }

  function fieldCases(
    part: string,
    base: (n: number) => unknown,
    field: BodyField,
    request: Omit<InjectOptions, 'payload'>,
    batchItem?: (n: number) => unknown,
  ): Case[] {
    return valuesFor(field, batchItem).map((value, n): Case => {
      const payload = bodyWith(base(n), field.pointer, value.json)
      const allowed = documentAllows(field.schema, JSON.parse(value.json), 'body')
      const tooLarge = Buffer.byteLength(payload) > t.config.bodyLimit
      return {
        part: `${part} body ${field.pointer}`,
        label: value.label,
        request: { ...request, headers: { 'content-type': 'application/json' }, payload },
        expect: tooLarge
          ? { refused: true, status: 413 }
          : allowed
            ? { refused: false }
            : { refused: true, field: field.pointer },
      }
    })
  }

  /** A body the operation takes, with what it needs from this test's market. */
  function baseBody(operation: Operation): (n: number) => unknown {
    const body = operation.body as Schema
    if (operation.operationId === 'createWebhook') return () => ({ url: receiver.url })
    return () => exampleOf(body, { optional: false })
  }

  const eventBranches = () => {
    const append = operations.find((o) => o.operationId === 'appendEvents')
    return (append?.body?.properties?.events?.items?.oneOf ?? []) as Schema[]
  }

  it('each field of each event type in an append: refused naming it, or stored, never a 5xx', async () => {
    const request = { method: 'POST', url: '/v1/events' } as const
    const cases = eventBranches().flatMap((branch, i) => {
      const type = String(branch.properties?.type?.enum?.[0])
      // The envelope is the same for every type: swept once, with the first type.
      const fields = bodyFields(branch, '/events/0').filter(
        (f) => i === 0 || f.pointer.startsWith('/events/0/data'),
      )
      return fields.flatMap((field) =>
        fieldCases(
          `appendEvents (${type})`,
          () => ({ events: [exampleOf(branch, { optional: true, n: ++generated })] }),
          field,
          request,
        ),
      )
    })
    expect(cases.length).toBeGreaterThan(1000)
    expect(await sweep(cases)).toEqual([])
    expect(taken.get('appendEvents (entity.registered) body /events/0/data/name')).toBeGreaterThan(10)
    expect(taken.get('appendEvents (event.retracted) body /events/0/data/reason')).toBeGreaterThan(10)
  }, 600_000)

  it('every event type as documented, with every optional field, is stored', async () => {
    for (const branch of eventBranches()) {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: [exampleOf(branch, { optional: true, n: ++generated })] },
      })
      expect(res.statusCode, res.body).toBe(201)
    }
  })

  it('a batch of the documented maximum is stored, and one more event is refused naming events', async () => {
    const [branch] = eventBranches()
    const event = () => exampleOf(branch as Schema, { optional: false, n: ++generated })
    const field = {
      pointer: '/events',
      schema: operations.find((o) => o.operationId === 'appendEvents')?.body?.properties?.events as Schema,
    }
    const cases = fieldCases('appendEvents', () => ({}), field, { method: 'POST', url: '/v1/events' }, event)
    const head = async (): Promise<number> => (await t.inject('/v1/events/head')).json().position
    const [headBefore, storedBefore] = [await head(), await stored()]
    expect(await sweep(cases)).toEqual([])
    // The maximal batch went in whole: and what the sweep compares for "nothing stored" saw it.
    expect(await head()).toBeGreaterThanOrEqual(headBefore + 1000)
    expect(await stored()).not.toBe(storedBefore)
  }, 120_000)

  it('each field of every other body: refused naming it, or taken, never a 5xx', async () => {
    const cases = operations
      .filter((o) => o.body && o.operationId !== 'appendEvents')
      .flatMap((operation) =>
        bodyFields(operation.body as Schema).map((field) =>
          fieldCases(operation.operationId, baseBody(operation), field, {
            method: operation.method,
            url: urlOf(operation),
          }),
        ),
      )
    expect(await sweep(cases.flat())).toEqual([])
    // Hostile text the schemas allow (SQL, quotes, __proto__, Unicode oddities) went through to SQL.
    expect(taken.get('createApiKey body /name')).toBeGreaterThan(10)
    expect(taken.get('createWebhook body /description')).toBeGreaterThan(10)
    expect(taken.get('updateWebhook body /description')).toBeGreaterThan(10)
  }, 300_000)

  it('whole bodies: deep nesting, prototype keys, not JSON, not an object, another media type', async () => {
    const bodies: ReadonlyArray<{
      label: string
      payload: string | Buffer
      type?: string
      allowedWhenOptional?: boolean
    }> = [
      { label: 'a 10,000-deep array', payload: deepJson(10_000) },
      {
        label: 'a 10,000-deep object in an unknown field',
        payload: `{"a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
      },
      { label: '__proto__ key', payload: '{"__proto__":{"polluted":true}}' },
      { label: 'constructor.prototype key', payload: '{"constructor":{"prototype":{"polluted":true}}}' },
      { label: 'NaN', payload: '{"a":NaN}' },
      { label: 'a bare number beyond every integer type', payload: '99999999999999999999' },
      { label: 'a bare string', payload: '"x"' },
      { label: 'null', payload: 'null', allowedWhenOptional: true },
      { label: 'empty', payload: '', allowedWhenOptional: true },
      { label: 'text/plain', payload: '{}', type: 'text/plain' },
      { label: 'form-urlencoded', payload: 'a=1', type: 'application/x-www-form-urlencoded' },
      // The charset parameter is not read: bodies are UTF-8, and UTF-16 bytes are not JSON there.
      {
        label: 'JSON in UTF-16',
        payload: Buffer.from('{}', 'utf16le'),
        type: 'application/json; charset=utf-16',
      },
      { label: 'two media types', payload: '{}', type: 'application/json, text/plain' },
    ]
    const cases = operations
      .filter((o) => o.body)
      .flatMap((operation) =>
        bodies.map(
          (body): Case => ({
            part: `${operation.operationId} body (whole)`,
            label: body.label,
            request: {
              method: operation.method,
              url: urlOf(operation),
              headers: { 'content-type': body.type ?? 'application/json' },
              payload: body.payload,
            },
            // The report job's body may be left out (null, empty): every date is then "now".
            expect:
              body.allowedWhenOptional && operation.operationId === 'requestReportJob'
                ? { refused: false }
                : { refused: true },
          }),
        ),
      )
    expect(await sweep(cases)).toEqual([])
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  }, 120_000)
})

describe('the operations as documented', () => {
  it('with the values the sweep starts from, every read answers 200: the requests reached their handlers', async () => {
    // A series needs its measure's keys, which the document cannot mark required: they depend on the measure.
    const measureKeys: Readonly<Record<string, string>> = {
      getSeries: '&product=sweep-subject&component=input',
    }
    for (const operation of operations.filter((o) => o.method === 'GET')) {
      const res = await t.inject(`${urlOf(operation)}${measureKeys[operation.operationId] ?? ''}`)
      expect(res.statusCode, `${operation.operationId}: ${res.body.slice(0, 300)}`).toBe(200)
    }
  })
})
