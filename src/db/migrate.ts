import { type Kysely, Migrator, sql } from 'kysely'
import { migrationNames, migrationProvider } from './migrations/index.js'

export class MigrationError extends Error {}

/** The database has migrations this build does not know: a newer version of the service made it. */
export class SchemaNewerThanCode extends MigrationError {
  constructor(readonly unknown: readonly string[]) {
    super(
      `the database's schema is newer than this version of the service (it has migration ${unknown.join(', ')}, unknown here): run the newer version, or use another database`,
    )
  }
}

/** Applies every pending migration. Safe to run from several processes at once (kysely locks). */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const unknown = (await appliedMigrations(db)).filter((name) => !migrationNames.includes(name))
  if (unknown.length > 0) throw new SchemaNewerThanCode(unknown)
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    throw new MigrationError(`migration ${failed ?? '(unknown)'} failed: ${String(error)}`, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** True when every migration this build knows of has been applied. */
export async function migrationsApplied<DB>(db: Kysely<DB>): Promise<boolean> {
  const names = new Set(await appliedMigrations(db).catch(() => []))
  return migrationNames.every((name) => names.has(name))
}

/** The names in kysely's bookkeeping table; none when it does not exist yet. */
async function appliedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select name from kysely_migration
  `
    .execute(db)
    .catch((error: { code?: string }) => {
      if (error.code === '42P01') return { rows: [] } // undefined_table: a new database
      throw error
    })
  return rows.map((r) => r.name)
}
