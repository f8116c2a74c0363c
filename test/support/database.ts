import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.js'

export interface TestDatabase {
  readonly url: string
  readonly handle: DatabaseHandle
  /** Closes the pool and drops the database. */
  drop(): Promise<void>
}

/** A fresh, migrated database of its own (copied from the run's template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl')
  const name = `test_${randomBytes(6).toString('hex')}`
  await adminQuery(adminUrl, `create database ${name} template ${inject('template')}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const handle = connectDatabase(url.toString())
  return {
    url: url.toString(),
    handle,
    async drop() {
      await handle.close()
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`)
    },
  }
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}
