import { type Kysely, sql } from 'kysely'

/**
 * The append-only log and the one function that appends to it.
 *
 * Why appends are serialised: positions come from a sequence, and with concurrent writers
 * sequences commit out of order — a reader that has seen position 11 could later find 10
 * committed, and a consumer resuming "after 11" would skip it for ever. `mt_append_events`
 * takes one transaction-level advisory lock before it draws positions, and PostgreSQL releases
 * that lock only after the transaction is visible as committed. So position order is commit
 * order: whoever sees position N sees every position below it, and `position > checkpoint`
 * never skips an event. The lock is held for one statement (the whole append is a single
 * round trip), so the cost is small; see docs/architecture.md.
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

  // Appends a batch atomically. `batch` is a JSON array of
  //   { idx, id, type, schema_version, subject, occurred_at, precision, effective_from,
  //     data, source, expected_version }
  // Returns every event of the batch in batch order, `appended` false for those already stored
  // with identical content (idempotent re-posts). Raises MT001 (id stored with other content)
  // or MT002 (expected_version mismatch), with a JSON detail; both store nothing.
  await sql`
    create function mt_append_events(batch jsonb)
    returns table (appended boolean, event events)
    language plpgsql as $$
    declare
      ids uuid[];
      stored uuid[];
      head bigint;
      last_recorded timestamptz;
      recorded timestamptz;
      clash record;
    begin
      perform pg_advisory_xact_lock(7388460240563250001);

      -- Events are looked up by id through "= any(array)", never by joining the unnested batch:
      -- the planner cannot estimate a JSON batch's size and would hash-join the whole log.
      ids := array(select (e->>'id')::uuid from jsonb_array_elements(batch) as e);
      stored := array(select e.id from events e where e.id = any(ids));

      select e.position, e.recorded_at into head, last_recorded
        from events e order by e.position desc limit 1;
      head := coalesce(head, 0);
      -- Millisecond precision, so the recordedAt a client reads back is a valid knownAt for it;
      -- never earlier than the last event, so recording order and position order agree.
      recorded := greatest(date_trunc('milliseconds', clock_timestamp()), last_recorded);

      if cardinality(stored) > 0 then
        select b.idx, b.id into clash
          from jsonb_to_recordset(batch) as b(idx int, id uuid, type text, subject text,
                                              occurred_at text, data jsonb, source jsonb),
               lateral (select * from events e where e.id = b.id) as e
         where b.id = any(stored)
           and ((e.type, e.subject, e.occurred_at, e.data) is distinct from (b.type, b.subject, b.occurred_at, b.data)
                or e.source is distinct from b.source)
         order by b.idx limit 1;
        if found then
          raise exception 'event id already stored with other content' using
            errcode = 'MT001', detail = json_build_object('index', clash.idx, 'id', clash.id)::text;
        end if;
      end if;

      with incoming as (
        select b.*
          from jsonb_to_recordset(batch) as b(idx int, id uuid, type text, schema_version int, subject text,
                                              occurred_at text, precision text, effective_from timestamptz,
                                              data jsonb, source jsonb, expected_version int)
         where b.id <> all(stored)
      ), numbered as (
        select i.*,
               coalesce((select max(e.version) from events e where e.subject = i.subject), 0)
                 + row_number() over (partition by i.subject order by i.idx) as version
          from incoming i
      ), inserted as (
        insert into events (id, type, schema_version, subject, version, occurred_at, precision,
                            effective_from, recorded_at, data, source)
        select n.id, n.type, n.schema_version, n.subject, n.version, n.occurred_at, n.precision,
               n.effective_from, recorded, n.data, n.source
          from numbered n order by n.idx
        returning 1
      )
      select n.idx, n.subject, n.expected_version, n.version - 1 as actual into clash
        from numbered n
       where n.expected_version is not null and n.expected_version <> n.version - 1
       order by n.idx limit 1;
      if found then
        raise exception 'expected version does not match' using
          errcode = 'MT002',
          detail = json_build_object('index', clash.idx, 'subject', clash.subject,
                                     'expectedVersion', clash.expected_version, 'actualVersion', clash.actual)::text;
      end if;

      return query
        select e.position > head, e
          from events e
         where e.id = any(ids)
         order by array_position(ids, e.id);
    end $$
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists mt_append_events(jsonb)`.execute(db)
  await sql`drop table if exists events`.execute(db)
  await sql`drop function if exists mt_forbid_event_changes()`.execute(db)
}
