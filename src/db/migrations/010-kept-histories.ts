import { type Kysely, sql } from 'kysely'

/**
 * Subjects' histories as known now, kept by the workers (`src/history/kept.ts`): each with marks
 * of what it was made from (the subject's last version, the log's last registration and last
 * retraction then, the read models' generations), so that it is answered only while they hold.
 * Its changes are the JSON's UTF-8 bytes, read in binary and sent as they are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table if not exists kept_histories (
      subject text primary key,
      version integer not null,
      registrations bigint not null,
      retractions bigint not null,
      generations text not null,
      known_from timestamptz not null,
      changes bytea not null,
      kept_at timestamptz not null default now()
    )
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists kept_histories`.execute(db)
}
