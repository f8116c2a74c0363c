import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { connectDatabase } from '../../src/db/connect.js'
import { type EmbeddedDatabase, removeDataFolder, startEmbeddedPostgres } from '../../src/db/embedded.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { startJobQueue } from '../../src/jobs.js'

export const TEMPLATE = 'market_timeline_template'

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the test server's maintenance database; each test file creates its own database from it. */
    adminUrl: string
    template: string
  }
}

/**
 * One real PostgreSQL per test run: TEST_DATABASE_URL's server, or an embedded one in a
 * throwaway folder (durability settings off — it is deleted afterwards). A migrated template
 * database makes each test file's fresh database a cheap copy.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | undefined
  let dataDir: string | undefined
  let adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl) {
    dataDir = await mkdtemp(path.join(tmpdir(), 'market-timeline-test-'))
    embedded = await startEmbeddedPostgres({
      dataDir,
      database: 'postgres',
      serverFlags: [
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
      ],
    })
    adminUrl = embedded.adminUrl
  }

  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${TEMPLATE}`)
  await admin.query(`create database ${TEMPLATE}`)
  await admin.end()
  const templateUrl = new URL(adminUrl)
  templateUrl.pathname = `/${TEMPLATE}`
  const template = connectDatabase(templateUrl.toString(), { max: 1 })
  await migrateToLatest(template.db)
  await template.close()
  // pg-boss creates its schema on first start: do it once here rather than in every test database.
  const boss = await startJobQueue(templateUrl.toString(), { error() {} }, false)
  await boss.stop({ graceful: false, wait: true })

  project.provide('adminUrl', adminUrl)
  project.provide('template', TEMPLATE)

  return async () => {
    await embedded?.stop()
    if (dataDir) await removeDataFolder(dataDir)
  }
}
