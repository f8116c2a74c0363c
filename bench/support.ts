import { randomUUID } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { catalogue } from '../events/index.js'
import { projections } from '../projections/index.js'
import { reports } from '../reports/index.js'
import { buildApp } from '../src/api/app.js'
import { loadConfig } from '../src/config.js'
import { connectDatabase, type DatabaseHandle } from '../src/db/connect.js'
import { removeDataFolder, startEmbeddedPostgres } from '../src/db/embedded.js'
import { migrateToLatest } from '../src/db/migrate.js'
import type { EventStore } from '../src/store/event-store.js'

export interface BenchDatabase {
  readonly url: string
  readonly handle: DatabaseHandle
  readonly server: string
  close(): Promise<void>
}

export interface BenchServer {
  /** What the figures were measured on. */
  readonly description: string
  /** A fresh, migrated database of its own. */
  newDatabase(): Promise<BenchDatabase>
  close(): Promise<void>
}

/** DATABASE_URL's server, or an embedded PostgreSQL of the bench's own (default durability settings). */
export async function openBenchServer(): Promise<BenchServer> {
  let stopServer = async () => {}
  let adminUrl = process.env.DATABASE_URL
  let kind = 'DATABASE_URL'
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'market-timeline-bench-'))
    const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres' })
    adminUrl = embedded.adminUrl
    kind = 'embedded PostgreSQL (default durability settings)'
    stopServer = async () => {
      await embedded.stop()
      await removeDataFolder(dataDir)
    }
  }
  const admin = adminUrl
  const version = await adminQuery(admin, 'show server_version')
  const description = `${kind}, PostgreSQL ${version[0]?.server_version}`
  let count = 0
  return {
    description,
    async newDatabase() {
      const name = `bench_${process.pid}_${Date.now()}_${count++}`
      await adminQuery(admin, `create database ${name}`)
      const url = new URL(admin)
      url.pathname = `/${name}`
      const handle = connectDatabase(url.toString())
      await migrateToLatest(handle.db)
      return {
        url: url.toString(),
        handle,
        server: description,
        async close() {
          await handle.close()
          await adminQuery(admin, `drop database if exists ${name} with (force)`)
        },
      }
    },
    close: stopServer,
  }
}

/** One fresh database on a server of its own (for running one section alone). */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const server = await openBenchServer()
  const db = await server.newDatabase()
  return {
    ...db,
    async close() {
      await db.close()
      await server.close()
    },
  }
}

async function adminQuery(url: string, text: string): Promise<Array<Record<string, string>>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const { rows } = await client.query(text)
  await client.end()
  return rows
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

export const ratio = (ours: number, reference: number): number =>
  reference > 0 ? Number((ours / reference).toFixed(2)) : 0

export const silentLog = {
  info() {},
  warn() {},
  error: (obj: object, msg: string) => console.error(msg, obj),
}

export interface BenchApi {
  readonly app: FastifyInstance
  /** Where it listens: http://127.0.0.1:port. */
  readonly url: string
  /** A key with every scope. */
  readonly adminKey: string
}

/**
 * The whole API in this process on `db`, listening on 127.0.0.1, with no rate limit and a route
 * `/bench/trivial` (a constant answer) to measure it beside. The caller closes `app`.
 */
export async function startBenchApi(db: BenchDatabase, store: EventStore): Promise<BenchApi> {
  const adminKey = `bench-admin-${randomUUID()}`
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', ADMIN_API_KEY: adminKey })
  const app = await buildApp({
    config,
    database: db.handle,
    catalogue,
    reports,
    projections,
    store,
    databaseUrl: db.url,
  })
  await new Promise((resolve) => setTimeout(resolve, 500)) // lets the answer cache's LISTEN connect
  app.get('/bench/trivial', async () => ({ ok: true }))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, url, adminKey }
}
