import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { appendEvents, subscribe, waitForDeliveries } from '../support/webhooks.js'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ worker: true, env: { WEBHOOK_RETRY_DELAYS: '0.1', WEBHOOK_TIMEOUT_MS: '500' } })
})
afterAll(async () => {
  await t?.close()
})

const publicUrl = 'https://93.184.215.14/hooks'

describe('subscriptions', () => {
  it('are created active, with a Standard Webhooks secret shown on creation', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: publicUrl, description: 'price desk' },
    })
    expect(res.statusCode).toBe(201)
    const created = res.json()
    expect(created).toMatchObject({
      url: publicUrl,
      types: ['*'],
      subjects: [],
      status: 'active',
      description: 'price desk',
    })
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32)
  })

  it('never show the secret in lists or lookups, only at /secret', async () => {
    const { id, secret } = await subscribe(t, { url: publicUrl, types: ['price.*'] })
    const list = await t.inject('/v1/webhooks')
    const one = await t.inject(`/v1/webhooks/${id}`)
    expect(list.statusCode).toBe(200)
    expect(list.body).not.toContain(secret.slice(6, 20))
    expect(one.json()).not.toHaveProperty('secret')
    expect(one.json().types).toEqual(['price.*'])
    expect((await t.inject(`/v1/webhooks/${id}/secret`)).json()).toEqual({
      secret,
      previousSecretExpiresAt: null,
    })
  })

  it('can be changed and deleted', async () => {
    const { id } = await subscribe(t, { url: publicUrl })
    const changed = await t.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: { types: ['alliance.*'], subjects: ['qwen-long'], description: null, status: 'paused' },
    })
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({
      types: ['alliance.*'],
      subjects: ['qwen-long'],
      description: null,
      status: 'paused',
    })
    expect((await t.inject({ method: 'DELETE', url: `/v1/webhooks/${id}` })).statusCode).toBe(204)
    const gone = await t.inject(`/v1/webhooks/${id}`)
    expect(gone.statusCode).toBe(404)
    expect(gone.headers['content-type']).toContain('application/problem+json')
  })

  it('need the admin scope', async () => {
    const key = await t.inject({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'reader', scopes: ['read', 'write'] },
    })
    const asReader = await t.inject({
      url: '/v1/webhooks',
      headers: { authorization: `Bearer ${key.json().key}` },
    })
    expect(asReader.statusCode).toBe(403)
    const anonymous = await t.app.inject({ url: '/v1/webhooks' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('are described in the OpenAPI document', async () => {
    const doc = (await t.inject('/openapi.json')).json()
    for (const path of [
      '/v1/webhooks',
      '/v1/webhooks/{id}',
      '/v1/webhooks/{id}/secret',
      '/v1/webhooks/{id}/secret/rotate',
      '/v1/webhooks/{id}/deliveries',
      '/v1/webhooks/{id}/deliveries/{deliveryId}/retry',
      '/v1/webhooks/{id}/replay',
      '/v1/webhooks/{id}/replays/{replayId}',
    ]) {
      expect(doc.paths, path).toHaveProperty([path])
    }
  })
})

describe('bad input is refused with the field named, and nothing is stored', () => {
  const cases: ReadonlyArray<readonly [string, object, string]> = [
    ['no url', { types: ['*'] }, '/url'],
    ['a type pattern that matches nothing', { url: publicUrl, types: ['nothing.*'] }, '/types/0'],
    ['a malformed type pattern', { url: publicUrl, types: ['Price Changed'] }, '/types/0'],
    ['a subject that is not a slug', { url: publicUrl, subjects: ['Qwen Long'] }, '/subjects/0'],
    ['an unknown field', { url: publicUrl, secret: 'whsec_mine' }, '/secret'],
    ['a description too long', { url: publicUrl, description: 'x'.repeat(501) }, '/description'],
  ]
  it.each(cases)('%s', async (_name, payload, path) => {
    const before = (await t.inject('/v1/webhooks')).json().length
    const res = await t.inject({ method: 'POST', url: '/v1/webhooks', payload })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    expect((await t.inject('/v1/webhooks')).json()).toHaveLength(before)
  })

  it('a change with nothing in it, or an unknown status', async () => {
    const { id } = await subscribe(t, { url: publicUrl })
    const empty = await t.inject({ method: 'PATCH', url: `/v1/webhooks/${id}`, payload: {} })
    expect(empty.statusCode).toBe(400)
    const status = await t.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: { status: 'deleted' },
    })
    expect(status.statusCode).toBe(400)
    expect(status.json().errors[0].path).toBe('/status')
  })

  it('a replay with neither or both of fromPosition and since', async () => {
    const { id } = await subscribe(t, { url: publicUrl })
    const neither = await t.inject({ method: 'POST', url: `/v1/webhooks/${id}/replay`, payload: {} })
    expect(neither.statusCode).toBe(400)
    expect(neither.json().errors[0].path).toBe('/fromPosition')
    const both = await t.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/replay`,
      payload: { fromPosition: 1, since: '2024-05-01T00:00:00Z' },
    })
    expect(both.statusCode).toBe(400)
    const badDate = await t.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/replay`,
      payload: { since: '2024-02-30T00:00:00Z' },
    })
    expect(badDate.statusCode).toBe(400)
    expect(badDate.json().errors[0].path).toBe('/since')
  })

  it('an id that is not a uuid, or names nothing', async () => {
    expect((await t.inject('/v1/webhooks/not-an-id')).statusCode).toBe(400)
    expect((await t.inject(`/v1/webhooks/${randomUUID()}/deliveries`)).statusCode).toBe(404)
    const { id } = await subscribe(t, { url: publicUrl })
    const retry = await t.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/deliveries/${randomUUID()}/retry`,
    })
    expect(retry.statusCode).toBe(404)
  })

  it('a replay of a disabled subscription: 409 until it is active again', async () => {
    const { id } = await subscribe(t, { url: publicUrl })
    await t.inject({ method: 'PATCH', url: `/v1/webhooks/${id}`, payload: { status: 'disabled' } })
    const res = await t.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/replay`,
      payload: { fromPosition: 1 },
    })
    expect(res.statusCode).toBe(409)
    expect((await t.inject(`/v1/webhooks/${id}`)).json().disabledReason).toBe('disabled by an administrator')
  })
})

describe('URLs into private networks are refused', () => {
  const refused: ReadonlyArray<readonly [string, string]> = [
    ['ftp://93.184.215.14/hooks', 'must be http or https'],
    ['file:///etc/passwd', 'must be http or https'],
    ['http://user:pass@93.184.215.14/', 'must not carry credentials'],
    ['http://127.0.0.1:3000/hooks', 'loopback'],
    ['http://localhost/hooks', 'loopback'],
    ['http://[::1]/hooks', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hooks', 'loopback'],
    ['http://10.0.0.8/hooks', 'private'],
    ['http://172.16.5.4/hooks', 'private'],
    ['http://192.168.1.10/hooks', 'private'],
    ['http://[fc00::1]/hooks', 'private'],
    ['http://[fd12:3456::1]/hooks', 'private'],
    ['http://169.254.10.10/hooks', 'link-local'],
    ['http://[fe80::1]/hooks', 'link-local'],
    ['http://100.64.0.1/hooks', 'carrier-grade NAT'],
    ['http://0.0.0.0/hooks', 'unspecified'],
    ['http://[::]/hooks', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data', 'cloud metadata'],
    ['http://[fd00:ec2::254]/', 'cloud metadata'],
    ['http://no-such-host.invalid/hooks', 'does not resolve'],
  ]
  it.each(refused)('%s (%s)', async (url, reason) => {
    const res = await t.inject({ method: 'POST', url: '/v1/webhooks', payload: { url } })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ path: '/url', message: expect.stringContaining(reason) }])
  })

  it('also when a URL is changed', async () => {
    const { id } = await subscribe(t, { url: publicUrl })
    const res = await t.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: { url: 'http://10.1.1.1/' },
    })
    expect(res.statusCode).toBe(400)
    expect((await t.inject(`/v1/webhooks/${id}`)).json().url).toBe(publicUrl)
  })

  it('and checked again at delivery, when a host has come to resolve to one', async () => {
    // The earlier subscriptions name a public address that must never be contacted: only this one may match.
    await t.database.handle.db.deleteFrom('webhook_subscriptions').execute()
    const { id } = await subscribe(t, { url: publicUrl, subjects: ['rebound-llm'] })
    // As if DNS had changed since the subscription was saved.
    await t.database.handle.db
      .updateTable('webhook_subscriptions')
      .set({ url: 'http://127.0.0.1:9/hooks' })
      .where('id', '=', id)
      .execute()
    await appendEvents(t, priceChange('rebound-llm', '1'))
    const [delivery] = await waitForDeliveries(t, id, (d) => d[0]?.status === 'failed')
    expect(delivery?.attempts.map((a) => a.error)).toEqual([
      'refused: the URL is a loopback address (127.0.0.1)',
      'refused: the URL is a loopback address (127.0.0.1)',
    ])
  })
})

describe('with WEBHOOK_ALLOW_PRIVATE=true', () => {
  let open: TestApp
  beforeAll(async () => {
    open = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  })
  afterAll(async () => {
    await open?.close()
  })

  it('private addresses are allowed', async () => {
    const res = await open.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'http://127.0.0.1:8080/hooks' },
    })
    expect(res.statusCode).toBe(201)
  })

  it('cloud metadata addresses are still refused', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:169.254.169.254]/',
    ]) {
      const res = await open.inject({ method: 'POST', url: '/v1/webhooks', payload: { url } })
      expect(res.statusCode, url).toBe(400)
    }
  })
})
