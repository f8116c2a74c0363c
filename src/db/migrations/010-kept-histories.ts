import { type Kysely, sql } from 'kysely'

/**
 * Subjects' histories as known now, kept by the workers (`src/history/kept.ts`): each with the
 * fingerprint of what it was made from, so that it is answered only while that is still what the
 * log and the read models hold.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table if not exists kept_histories (
      subject text primary key,
      inputs text not null,
      known_from timestamptz not null,
      changes text not null,
      kept_at timestamptz not null default now()
    )
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists kept_histories`.execute(db)
}
