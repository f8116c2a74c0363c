import { type Kysely, Migrator, sql } from 'kysely'
import { migrationNames, migrationProvider } from './migrations/index.js'

export class MigrationError extends Error {}

/** Applies every pending migration. Safe to run from several processes at once (kysely locks). */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
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
  const applied = await sql<{ name: string }>`
    select name from kysely_migration
  `
    .execute(db)
    .catch(() => ({ rows: [] as { name: string }[] }))
  const names = new Set(applied.rows.map((r) => r.name))
  return migrationNames.every((name) => names.has(name))
}
