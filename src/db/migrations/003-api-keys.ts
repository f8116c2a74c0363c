import { type Kysely, sql } from 'kysely'

/** API keys: only a SHA-256 of each key's secret is stored. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table api_keys (
      id uuid primary key,
      name text not null,
      scopes text[] not null check (scopes <@ array['read', 'write', 'admin']::text[] and cardinality(scopes) > 0),
      secret_hash bytea not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists api_keys`.execute(db)
}
