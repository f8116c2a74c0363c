import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDataFolder } from '../../src/db/embedded.js'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import {
  isRoot,
  type PrivateCheckout,
  privateCheckout,
  type RunAs,
  runNpm,
  thisUser,
  unprivilegedUser,
} from '../support/private-checkout.js'
import { freePort } from '../support/process.js'

const project = path.resolve(import.meta.dirname, '..', '..')
const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function dataFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'market-timeline-failure-'))
  cleanups.push(() => removeDataFolder(dir))
  return dir
}

/** `npm start` in `cwd` as `user`; it must end by itself, non-zero, with one line on standard error. */
async function failedStart(
  env: Record<string, string>,
  cwd = project,
  user: RunAs = thisUser,
): Promise<string> {
  const { code, stderr } = await runNpm(cwd, user, { HOME: tmpdir(), PORT: '0', ...env }, ['start']).done
  expect(code).not.toBe(0)
  const lines = stderr.trim().split('\n')
  expect(lines, JSON.stringify(stderr)).toHaveLength(1)
  expect(stderr).not.toMatch(/^\s+at /m)
  return lines[0] ?? ''
}

describe('a start that cannot succeed says why in one line and exits non-zero', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
    cleanups.push(() => database.drop())
  })

  it('when the port is in use', async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)))
    const port = (taken.address() as net.AddressInfo).port
    const line = await failedStart({ PORT: String(port), DATA_DIR: await dataFolder() })
    expect(line).toContain(`port ${port} on 127.0.0.1 is already in use`)
  })

  it('when DATABASE_URL points at no server', async () => {
    const port = await freePort()
    const line = await failedStart({ DATABASE_URL: `postgres://someone:secret@127.0.0.1:${port}/market` })
    expect(line).toContain(`cannot reach the database "market" at 127.0.0.1:${port}: connection refused`)
    expect(line).not.toContain('secret')
  })

  it('when the password in DATABASE_URL is wrong', async () => {
    const url = new URL(database.url)
    url.password = 'not-the-password'
    const line = await failedStart({ DATABASE_URL: url.toString() })
    expect(line).toMatch(/refused the password/)
    expect(line).not.toContain('not-the-password')
  })

  it('when the database was migrated by a newer version', async () => {
    await sql`insert into kysely_migration (name, timestamp) values ('999-from-a-newer-version', now()::text)`.execute(
      database.handle.db,
    )
    const line = await failedStart({ DATABASE_URL: database.url })
    expect(line).toContain("the database's schema is newer than this version")
    expect(line).toContain('999-from-a-newer-version')
  })

  it('when the data folder holds a cluster of another PostgreSQL major version', async () => {
    const dataDir = await dataFolder()
    await chmod(dataDir, 0o755) // where such a cluster ran, its server's user could enter
    await mkdir(path.join(dataDir, 'postgres'), { recursive: true })
    await writeFile(path.join(dataDir, 'postgres', 'PG_VERSION'), '15\n')
    await writeFile(path.join(dataDir, 'postgres.password'), 'secret\n', { mode: 0o600 })
    const line = await failedStart({ DATA_DIR: dataDir })
    expect(line).toMatch(
      /was made by PostgreSQL 15, and this build runs PostgreSQL \d+: upgrade it with pg_upgrade/,
    )
  })

  it('when the data folder is not writable', { timeout: 60_000 }, async () => {
    // Root may write anywhere: the service then runs as an unprivileged user, from a checkout it can read.
    const user = isRoot ? unprivilegedUser() : thisUser
    let cwd = project
    if (isRoot) {
      const checkout: PrivateCheckout = await privateCheckout(user)
      cleanups.push(() => checkout.remove())
      cwd = checkout.app
    }
    const dataDir = await dataFolder()
    await chmod(dataDir, 0o555)
    const line = await failedStart({ DATA_DIR: dataDir }, cwd, user)
    expect(line).toContain(`the data folder DATA_DIR=${dataDir} is not writable by this user`)
  })

  it('when a setting is not valid', async () => {
    expect(await failedStart({ PORT: 'eighty' })).toBe(
      "market-timeline: configuration error: PORT must be a port number, not 'eighty'",
    )
  })
})
