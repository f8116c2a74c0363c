/**
 * The current text of `mt_append_events`, the one function that appends to the log. Migration
 * 005-lean-append applies it; migrations keep no copies. It appends a batch atomically. `batch`
 * is a JSON array of
 *   { idx, id, type, schema_version, subject, occurred_at, precision, effective_from,
 *     data, source, expected_version }
 * It answers with what only the database knows — per event of the batch, in batch order: its
 * index, whether it was new (false for an identical re-post of a stored event), position,
 * version, effectiveFrom as stored and recordedAt — not whole rows: the caller already holds the
 * rest. It raises MT001 (an id stored with other content) or MT002 (an expected_version that
 * does not match), with a JSON detail; both store nothing.
 *
 * Most batches hold no stored id and meet their expectedVersions; they are stored and answered
 * by one statement, an insert conditional on the versions whose RETURNING is the answer. A lone
 * event is not looked up by id first: "on conflict (id) do nothing" skips it if it is stored.
 * When that statement stores nothing (an id already stored, or an expectedVersion refused), the
 * batch goes the long way: it is looked up by id, checked against what is stored, versioned and
 * answered from the log. A larger batch is looked up by id first, because a stored id in it
 * shifts the versions of the new events of its subject that come after it.
 *
 * Why appends are serialised: positions come from a sequence, and with concurrent writers
 * sequences commit out of order — a reader that has seen position 11 could later find 10
 * committed, and a consumer resuming "after 11" would skip it for ever. The function takes one
 * transaction-level advisory lock before it draws positions, and PostgreSQL releases that lock
 * only after the transaction is visible as committed. So position order is commit order:
 * whoever sees position N sees every position below it, and `position > checkpoint` never skips
 * an event. The lock is held for one statement (the whole append is a single round trip), so
 * the cost is small; see docs/architecture.md.
 *
 * Changing this text takes a new migration that applies it: databases that have run 005 do not
 * run it again. `create or replace` cannot change the returned columns; a migration that does
 * must drop the function first, as 005 does. The body keeps the indentation it was first
 * created with, so that every database holds the same text (`pg_get_functiondef`).
 */
export const appendFunction = `
    create or replace function mt_append_events(batch jsonb)
    returns table (idx integer, appended boolean, "position" bigint, version integer,
                   effective_from timestamptz, recorded_at timestamptz)
    language plpgsql as $$
    declare
      ids uuid[];
      stored uuid[];
      head bigint;
      recorded timestamptz;
      clash record;
      size integer := jsonb_array_length(batch);
      answered integer := 0;
    begin
      perform pg_advisory_xact_lock(7388460240563250001);

      -- Millisecond precision, so the recordedAt a client reads back is a valid knownAt for it;
      -- never earlier than the last event, so recording order and position order agree.
      recorded := greatest(date_trunc('milliseconds', clock_timestamp()),
                           (select e.recorded_at from events e order by e.position desc limit 1));

      -- The common case in one statement: no id of the batch stored, and every expectedVersion
      -- met (the insert is conditional on it, so a refusal inserts nothing), answered from its
      -- RETURNING. A lone event is not looked up by id first: "on conflict (id) do nothing" skips
      -- it if it is stored. A larger batch is, since a stored id in it shifts the versions of the
      -- new events of its subject after it.
      if size = 1 then
        return query
          insert into events (id, type, schema_version, subject, version, occurred_at, precision,
                              effective_from, recorded_at, data, source)
          select b.id, b.type, b.schema_version, b.subject, v.version, b.occurred_at, b.precision,
                 b.effective_from, recorded, b.data, b.source
            from jsonb_to_record(batch->0) as b(id uuid, type text, schema_version int, subject text,
                                                occurred_at text, precision text, effective_from timestamptz,
                                                data jsonb, source jsonb, expected_version int),
                 lateral (select coalesce(max(e.version), 0) + 1 as version
                            from events e where e.subject = b.subject) as v
           where b.expected_version is null or b.expected_version = v.version - 1
          on conflict (id) do nothing
          returning 0, true, events.position, events.version, events.effective_from, events.recorded_at;
        get diagnostics answered = row_count;
      elsif size > 1 then
        ids := array(select (e->>'id')::uuid from jsonb_array_elements(batch) as e);
        stored := array(select e.id from events e where e.id = any(ids));
        if cardinality(stored) = 0 then
          return query
            with numbered as (
              select b.*,
                     coalesce((select max(e.version) from events e where e.subject = b.subject), 0)
                       + row_number() over (partition by b.subject order by b.idx) as version
                from jsonb_to_recordset(batch) as b(idx int, id uuid, type text, schema_version int, subject text,
                                                    occurred_at text, precision text, effective_from timestamptz,
                                                    data jsonb, source jsonb, expected_version int)
            ), refused as (
              select from numbered n
               where n.expected_version is not null and n.expected_version <> n.version - 1
               limit 1
            ), inserted as (
              insert into events (id, type, schema_version, subject, version, occurred_at, precision,
                                  effective_from, recorded_at, data, source)
              select n.id, n.type, n.schema_version, n.subject, n.version, n.occurred_at, n.precision,
                     n.effective_from, recorded, n.data, n.source
                from numbered n
               where not exists (select from refused)
               order by n.idx
              returning events.id, events.position, events.version, events.effective_from, events.recorded_at
            )
            select n.idx, true, i.position, i.version, i.effective_from, i.recorded_at
              from inserted i join numbered n on n.id = i.id
             order by n.idx;
          get diagnostics answered = row_count;
        end if;
      end if;
      if answered > 0 then
        return;
      end if;

      -- Otherwise (an id already stored, an expectedVersion refused, or no event at all) nothing
      -- is stored yet, and the batch goes the long way, which tells a re-post from a clash and
      -- names a refusal.
      -- Events are looked up by id through "= any(array)", never by joining the unnested batch:
      -- the planner cannot estimate a JSON batch's size and would hash-join the whole log.
      ids := array(select (e->>'id')::uuid from jsonb_array_elements(batch) as e);
      stored := array(select e.id from events e where e.id = any(ids));

      head := coalesce((select e.position from events e order by e.position desc limit 1), 0);

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
        select array_position(ids, e.id) - 1, e.position > head, e.position, e.version,
               e.effective_from, e.recorded_at
          from events e
         where e.id = any(ids)
         order by 1;
    end $$`
