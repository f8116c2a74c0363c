import { type Kysely, sql } from 'kysely'

/**
 * The append-only log: the table, its indexes and its immutability. The function that appends
 * to it, `mt_append_events`, is created by 005-lean-append from its one text in
 * `src/store/sql/append-function.ts` (why appends are serialised is written there). Databases
 * migrated before that text moved had an earlier version of the function created here; 005
 * replaces it on them, so every database ends with the same function.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table events (
      position bigint generated always as identity primary key,
      id uuid not null,
      type text not null,
      schema_version integer not null,
      subject text not null,
      version integer not null,
      occurred_at text not null,
      precision text not null check (precision in ('year', 'month', 'day', 'instant')),
      effective_from timestamptz not null,
      recorded_at timestamptz not null,
      data jsonb not null,
      source jsonb,
      constraint events_id_unique unique (id),
      constraint events_subject_version_unique unique (subject, version)
    )
  `.execute(db)
  await sql`create index events_type_position on events (type, position)`.execute(db)
  await sql`create index events_effective_from on events (effective_from, position)`.execute(db)

  // Events are immutable: corrections are new events (event.retracted), never edits.
  await sql`
    create function mt_forbid_event_changes() returns trigger language plpgsql as $$
    begin
      raise exception 'events are immutable: append an event.retracted instead'
        using errcode = 'MT000';
    end $$
  `.execute(db)
  await sql`
    create trigger events_immutable before update or delete on events
    for each statement execute function mt_forbid_event_changes()
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists mt_append_events(jsonb)`.execute(db)
  await sql`drop table if exists events`.execute(db)
  await sql`drop function if exists mt_forbid_event_changes()`.execute(db)
}
