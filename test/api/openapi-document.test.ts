import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp, testAdminKey } from '../support/app.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { type ServiceProcess, startService, startUpRoomMs, waitForOk } from '../support/process.js'

/** The served OpenAPI document: linted, and turned into a typed client that calls the real service. */
const repo = path.resolve(import.meta.dirname, '..', '..')
const loopbackOnly = path.join(repo, 'test/support/loopback-only.mjs')
const outboundMarker = 'OUTBOUND CONNECTION REFUSED'
const bin = (file: string) => path.join(repo, 'node_modules', file)

let folder: string
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'market-timeline-openapi-'))
})
afterAll(() => rm(folder, { recursive: true, force: true }))

/** A Node tool as a child process that can reach nothing but loopback (and no telemetry). */
async function runTool(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', loopbackOnly, ...args], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: folder,
      NO_COLOR: '1',
      REDOCLY_TELEMETRY: 'off',
      REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

describe('the OpenAPI document', () => {
  let t: TestApp
  let document: {
    servers: Array<{ url: string }>
    paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>
  }
  beforeAll(async () => {
    t = await startTestApp()
    document = (await t.app.inject('/openapi.json')).json()
  })
  afterAll(() => t.close())

  it('names every operation with a unique camelCase operationId', () => {
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods))
    const ids = operations.map((operation) => operation.operationId)
    expect(ids.length).toBeGreaterThan(30)
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/)
    expect(new Set(ids).size).toBe(ids.length)
    expect(document.paths['/v1/events']?.post?.operationId).toBe('appendEvents')
    expect(document.paths['/v1/prices']?.get?.operationId).toBe('getPriceList')
    expect(document.paths['/v1/reports/market-snapshot']?.get?.operationId).toBe('getMarketSnapshotReport')
  })

  it('serves on its own address: servers is the relative /', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }])
  })

  it('says which operations need a key, with the scope as its role', () => {
    expect(document.paths['/v1/events']?.post?.security).toEqual([{ apiKey: ['write'] }])
    expect(document.paths['/v1/events']?.get?.security).toEqual([{}, { apiKey: ['read'] }])
    expect(document.paths['/v1/webhooks']?.get?.security).toEqual([{ apiKey: ['admin'] }])
    expect(document.paths['/health']?.get?.security).toEqual([{}])
  })

  it('declares the header that says which path answered a history', () => {
    const history = document.paths['/v1/subjects/{subject}/history']?.get as unknown as {
      responses: Record<string, { headers?: Record<string, { schema?: unknown; description?: string }> }>
    }
    const header = history.responses['200']?.headers?.['x-history-answer']
    expect(header?.schema).toEqual({ type: 'string', enum: ['kept', 'computed'] })
    expect(header?.description).toMatch(/kept/)
  })

  it('passes the OpenAPI linter (redocly.yaml) with no errors or warnings, offline', async () => {
    const file = path.join(folder, 'openapi.json')
    await writeFile(file, JSON.stringify(document))
    const lint = await runTool(
      [
        bin('@redocly/cli/bin/cli.js'),
        'lint',
        file,
        '--config',
        path.join(repo, 'redocly.yaml'),
        '--format=json',
      ],
      folder,
    )
    expect(lint.stderr).not.toContain(outboundMarker)
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number }
      problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>
    }
    const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`)
    expect(problems).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
    expect(lint.code).toBe(0)
  })
})

/**
 * A client written against the generated types: it must type-check (the `@ts-expect-error`
 * lines prove the types are not `any`), and its answers are printed for the test to read.
 */
const typedClient = `
import createClient from 'openapi-fetch'
import type { components, paths } from './schema.js'

const client = createClient<paths>({ baseUrl: process.env.BASE_URL })
const auth = { authorization: \`Bearer \${process.env.API_KEY}\` }

const page = await client.GET('/v1/events', { params: { query: { type: 'price.*', limit: 3 } } })
if (!page.data) throw new Error(JSON.stringify(page.error))
const subjects: string[] = page.data.events.map((event: components['schemas']['Event']) => event.subject)
const next: number | null = page.data.next

const head = await client.GET('/v1/events/head')
const position: number = head.data?.position ?? -1

const prices = await client.GET('/v1/prices', {
  params: { query: { product: 'qwen-long', asOf: '2024-06-30', consistentWith: position } },
})
const amounts: string[] = (prices.data?.prices ?? []).map((price) => price.amount)

const launch: components['schemas']['EntityRegisteredInput'] = {
  id: '7a4e2c1d-5b6f-4a3e-9c8d-1e2f3a4b5c6d',
  type: 'entity.registered',
  subject: 'typed-client-co',
  occurredAt: '2024-07',
  data: { kind: 'company', name: 'Typed Client Co' },
}
const appended = await client.POST('/v1/events', { headers: auth, body: { events: [launch] } })
const again = await client.POST('/v1/events', { headers: auth, body: { events: [launch] } })
const refused = await client.POST('/v1/events', { body: { events: [launch] } })
const stored = await client.GET('/v1/events/{id}', { params: { path: { id: launch.id ?? '' } } })

const invalid = await client.GET('/v1/events', { params: { query: { after: -1 } } })
const problem: components['schemas']['Problem'] | undefined = invalid.error

export function neverCalled() {
  // @ts-expect-error: after is a number
  client.GET('/v1/events', { params: { query: { after: 'soon' } } })
  // @ts-expect-error: there is no such path
  client.GET('/v1/nowhere')
}
// @ts-expect-error: data must follow the event type's schema
const wrong: components['schemas']['EntityRegisteredInput'] = { ...launch, data: { kind: 'planet', name: 'X' } }

console.log(JSON.stringify({
  subjects, next, position, amounts,
  appended: { status: appended.response.status, position: appended.data?.events[0]?.position },
  again: again.response.status,
  refused: { status: refused.response.status, type: refused.error?.type },
  stored: stored.data?.data,
  invalid: { status: invalid.response.status, paths: problem?.errors?.map((e) => e.path) },
  wrong: wrong.type,
}))
`

describe('a client generated from the served document', () => {
  let database: TestDatabase
  let service: ServiceProcess
  beforeAll(async () => {
    database = await createTestDatabase()
    service = await startService({
      DATABASE_URL: database.url,
      ADMIN_API_KEY: testAdminKey,
      SEED_ON_START: 'true',
      LOG_LEVEL: 'warn',
    })
    await waitForOk(`${service.baseUrl}/ready`, startUpRoomMs)
  })
  afterAll(async () => {
    await service?.stop()
    await database?.drop()
  })

  it('type-checks against openapi-typescript types and calls the running service', {
    timeout: 60_000,
  }, async () => {
    const client = await mkdtemp(path.join(folder, 'client-'))
    await writeFile(
      path.join(client, 'openapi.json'),
      await (await fetch(`${service.baseUrl}/openapi.json`)).text(),
    )
    await symlink(path.join(repo, 'node_modules'), path.join(client, 'node_modules'))
    await writeFile(path.join(client, 'package.json'), JSON.stringify({ type: 'module' }))
    await writeFile(
      path.join(client, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['client.ts'],
      }),
    )
    await writeFile(path.join(client, 'client.ts'), typedClient)

    const generated = await runTool(
      [bin('openapi-typescript/bin/cli.js'), 'openapi.json', '--output', 'schema.d.ts'],
      client,
    )
    expect(generated.code, generated.stderr).toBe(0)
    expect(generated.stderr).not.toContain(outboundMarker)
    expect(await readFile(path.join(client, 'schema.d.ts'), 'utf8')).toContain('appendEvents: {')

    const checked = await runTool([bin('typescript/bin/tsc'), '--project', 'tsconfig.json'], client)
    expect(checked.stdout + checked.stderr).toBe('')
    expect(checked.code).toBe(0)

    const ran = await runTool(['--import', 'tsx', 'client.ts'], client, {
      BASE_URL: service.baseUrl,
      API_KEY: testAdminKey,
    })
    expect(ran.code, ran.stderr).toBe(0)
    const answers = JSON.parse(ran.stdout)
    expect(answers.subjects).toHaveLength(3)
    expect(answers.next).toEqual(expect.any(Number))
    expect(answers.position).toBeGreaterThan(50)
    expect(answers.amounts).toEqual(['0.0005'])
    expect(answers.appended.status).toBe(201)
    expect(answers.appended.position).toBeGreaterThan(answers.position)
    expect(answers.again).toBe(200)
    expect(answers.refused).toEqual({ status: 401, type: 'tag:market-timeline,2024:problem/unauthorized' })
    expect(answers.stored).toEqual({ kind: 'company', name: 'Typed Client Co' })
    expect(answers.invalid).toEqual({ status: 400, paths: ['/after'] })
  })
})
