import { type Kysely, sql } from 'kysely'

/**
 * Bookkeeping for background projections. Each projection keeps its read-model tables in a
 * schema per generation (`rm_<name>_g<n>`); the schema `rm_<name>` holds views onto the live
 * generation, which is what queries read. A rebuild fills a new generation beside the live one
 * and swaps the views in one transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table projections (
      name text primary key,
      live_generation integer not null,
      building_generation integer,
      rebuild_job_id text,
      status text not null default 'running' check (status in ('running', 'failing')),
      failures integer not null default 0,
      last_error text,
      last_error_at timestamptz
    )
  `.execute(db)
  await sql`
    create table projection_checkpoints (
      name text not null references projections (name),
      generation integer not null,
      position bigint not null default 0,
      updated_at timestamptz not null default now(),
      primary key (name, generation)
    )
  `.execute(db)

  // Wakes every listening worker once per append, at commit (NOTIFY is transactional).
  await sql`
    create function mt_notify_events() returns trigger language plpgsql as $$
    begin
      perform pg_notify('mt_events', '');
      return null;
    end $$
  `.execute(db)
  await sql`
    create trigger events_notify after insert on events
    for each statement execute function mt_notify_events()
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists events_notify on events`.execute(db)
  await sql`drop function if exists mt_notify_events()`.execute(db)
  await sql`drop table if exists projection_checkpoints`.execute(db)
  await sql`drop table if exists projections`.execute(db)
}
