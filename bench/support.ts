import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { connectDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { startEmbeddedPostgres } from '../src/db/embedded.js'
import { migrateToLatest } from '../src/db/migrate.js'

export interface BenchDatabase {
  readonly url: string
  readonly handle: DatabaseHandle
  readonly server: string
  close(): Promise<void>
}

/** A fresh, migrated database: on DATABASE_URL's server, or on an embedded server of the bench's own. */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  let stopServer = async () => {}
  let adminUrl = process.env.DATABASE_URL
  let server = 'DATABASE_URL'
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'market-timeline-bench-'))
    await chmod(dataDir, 0o755)
    const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres' })
    adminUrl = embedded.adminUrl
    server = 'embedded PostgreSQL (default durability settings)'
    stopServer = async () => {
      await embedded.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
  const name = `bench_${Date.now()}`
  await adminQuery(adminUrl, `create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const handle = connectDatabase(url.toString())
  await migrateToLatest(handle.db)
  const version = await handle.pool.query<{ server_version: string }>('show server_version')
  return {
    url: url.toString(),
    handle,
    server: `${server}, PostgreSQL ${version.rows[0]?.server_version}`,
    async close() {
      await handle.close()
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`)
      await stopServer()
    },
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(text)
  await client.end()
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

/** Runs `work` and returns units per second. */
export async function rate(units: number, work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint()
  await work()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return units / seconds
}
