import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { priceChange } from '../support/events.js'
import { runToEnd, startService, startUpRoomMs, waitForOk } from '../support/process.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

const as = (key: string | undefined) => (key ? { authorization: `Bearer ${key}` } : {})

async function createKey(
  scopes: string[],
  name = `key for ${scopes.join('+')}`,
): Promise<{ id: string; key: string }> {
  const res = await t.inject({ method: 'POST', url: '/v1/keys', payload: { name, scopes } })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

const appendWith = (key: string | undefined) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: as(key),
    payload: { events: [priceChange('scoped', '1')] },
  })

describe('API keys and scopes (reads public)', () => {
  let read: string
  let write: string
  let admin: string
  beforeAll(async () => {
    read = (await createKey(['read'])).key
    write = (await createKey(['write'])).key
    admin = (await createKey(['admin'])).key
  })

  it('lets anyone read, and asks for a key to write', async () => {
    expect((await t.app.inject('/v1/events')).statusCode).toBe(200)
    expect((await t.app.inject('/v1/prices')).statusCode).toBe(200)
    const anonymous = await appendWith(undefined)
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('writes with the write or admin scope only', async () => {
    expect((await appendWith(read)).statusCode).toBe(403)
    expect((await appendWith(write)).statusCode).toBe(201)
    expect((await appendWith(admin)).statusCode).toBe(201)
  })

  it.each([
    ['GET', '/v1/projections', 200],
    // This app has no job queue: past the scope check, a rebuild request is 503.
    ['POST', '/v1/projections/price-list/rebuild', 503],
    ['GET', '/v1/keys', 200],
    ['POST', '/v1/keys', 201],
    ['DELETE', '/v1/keys/00000000-0000-4000-8000-000000000000', 404],
  ] as const)('keeps %s %s for admin keys', async (method, url, adminStatus) => {
    const request = (key?: string) =>
      t.app.inject({
        method,
        url,
        headers: as(key),
        ...(method === 'POST' && url === '/v1/keys' ? { payload: { name: 'x', scopes: ['read'] } } : {}),
      })
    expect((await request()).statusCode).toBe(401)
    expect((await request(read)).statusCode).toBe(403)
    expect((await request(write)).statusCode).toBe(403)
    const asAdmin = await request(admin)
    expect(asAdmin.statusCode, asAdmin.body).toBe(adminStatus)
  })

  it('refuses a malformed, unknown or revoked key even where none is needed', async () => {
    for (const authorization of ['Basic abc', 'Bearer', 'Bearer mt_nope', `Bearer ${read}x`]) {
      expect((await t.app.inject({ url: '/v1/events', headers: { authorization } })).statusCode).toBe(401)
    }
    const doomed = await createKey(['read', 'write'])
    expect((await appendWith(doomed.key)).statusCode).toBe(201)
    expect((await t.inject({ method: 'DELETE', url: `/v1/keys/${doomed.id}` })).statusCode).toBe(204)
    expect((await appendWith(doomed.key)).statusCode).toBe(401)
    expect(
      (await t.inject({ method: 'DELETE', url: '/v1/keys/00000000-0000-4000-8000-000000000000' })).statusCode,
    ).toBe(404)
  })

  it('lists keys without key material, with names, scopes and times', async () => {
    const list = (await t.inject('/v1/keys')).json() as Array<Record<string, unknown>>
    expect(list.length).toBeGreaterThanOrEqual(3)
    for (const key of list) {
      expect(Object.keys(key).sort()).toEqual([
        'createdAt',
        'id',
        'lastUsedAt',
        'name',
        'revokedAt',
        'scopes',
      ])
    }
    expect(JSON.stringify(list)).not.toContain(read)
    expect(list.find((k) => k.name === 'key for write')?.lastUsedAt).not.toBeNull()
  })

  it('refuses keys with unknown scopes or no name', async () => {
    for (const payload of [
      { name: 'x', scopes: ['root'] },
      { name: 'x', scopes: [] },
      { scopes: ['read'] },
    ]) {
      const res = await t.inject({ method: 'POST', url: '/v1/keys', payload })
      expect(res.statusCode).toBe(400)
    }
  })

  it('accepts ADMIN_API_KEY from the environment as an admin key', async () => {
    expect((await appendWith(testAdminKey)).statusCode).toBe(201)
  })

  it('sends security headers, and the docs still load', async () => {
    const res = await t.app.inject('/v1/events')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['content-security-policy']).toBeDefined()
    expect((await t.app.inject('/docs/')).statusCode).toBe(200)
    expect((await t.app.inject('/health')).statusCode).toBe(200)
  })
})

describe('READ_ACCESS=key', () => {
  it('asks for a key with the read scope to read, and none for health and docs', async () => {
    const closed = await startTestApp({ env: { READ_ACCESS: 'key' } })
    try {
      const res = await closed.inject({
        method: 'POST',
        url: '/v1/keys',
        payload: { name: 'r', scopes: ['read'] },
      })
      const reader = res.json().key as string
      const writer = (
        await closed.inject({ method: 'POST', url: '/v1/keys', payload: { name: 'w', scopes: ['write'] } })
      ).json().key
      expect((await closed.app.inject('/v1/events')).statusCode).toBe(401)
      expect((await closed.app.inject({ url: '/v1/prices', headers: as(reader) })).statusCode).toBe(200)
      expect((await closed.app.inject({ url: '/v1/timeline', headers: as(writer) })).statusCode).toBe(403)
      expect((await closed.app.inject('/health')).statusCode).toBe(200)
      expect((await closed.app.inject('/openapi.json')).statusCode).toBe(200)
    } finally {
      await closed.close()
    }
  })
})

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the limit, per key or address, never on health', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) statuses.push((await limited.app.inject('/v1/events?limit=1')).statusCode)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
      const res = await limited.app.inject('/v1/events?limit=1')
      expect(res.headers['retry-after']).toMatch(/^\d+$/)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({ status: 429, title: 'Too many requests' })
      // Another caller (the admin key) has a budget of its own.
      expect((await limited.inject('/v1/events?limit=1')).statusCode).toBe(200)
      for (let i = 0; i < 10; i++) expect((await limited.app.inject('/health')).statusCode).toBe(200)
    } finally {
      await limited.close()
    }
  })
})

describe('key management from the command line', () => {
  const keys = (...args: string[]) => runToEnd('src/cli/keys.ts', { DATABASE_URL: t.database.url }, args)

  it('creates, lists and revokes keys that the API then honours', { timeout: 120_000 }, async () => {
    const created = await keys('create', '--name', 'from the cli', '--scopes', 'write')
    expect(created.code).toBe(0)
    const key = /key: (mt_\S+)/.exec(created.out)?.[1] as string
    const id = /created key ([0-9a-f-]{36})/.exec(created.out)?.[1] as string
    expect((await appendWith(key)).statusCode).toBe(201)

    const listed = await keys('list')
    expect(listed.out).toContain(`${id}  from the cli  write`)
    expect(listed.out).not.toContain(key)

    expect((await keys('revoke', id)).code).toBe(0)
    // Another process revoked it: this one's verification cache lets it through for at most 5 s.
    const revoked = Date.now()
    let status = (await appendWith(key)).statusCode
    while (status !== 401 && Date.now() - revoked < 10_000) {
      await sleep(100)
      status = (await appendWith(key)).statusCode
    }
    expect(status).toBe(401)
    expect((await keys('create', '--name', 'x', '--scopes', 'root')).code).toBe(2)
  })
})

describe('logs', () => {
  it('never contain an API key', { timeout: 2 * startUpRoomMs }, async () => {
    const adminKey = 'a-long-admin-key-for-the-logging-test-0123456789'
    const service = await startService({
      DATABASE_URL: t.database.url,
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'trace',
    })
    try {
      await waitForOk(`${service.baseUrl}/ready`, startUpRoomMs)
      const created = await fetch(`${service.baseUrl}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'logged?', scopes: ['read'] }),
      })
      const { key } = (await created.json()) as { key: string }
      await fetch(`${service.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${key}` } })
      await fetch(`${service.baseUrl}/v1/events`, { headers: { authorization: 'Bearer wrong-key' } })
      expect(service.output()).toContain('incoming request')
      expect(service.output()).not.toContain(adminKey)
      expect(service.output()).not.toContain(key)
    } finally {
      await service.stop()
    }
  })
})
