/**
 * The current text of `mt_append_group`, which appends several requests in one transaction:
 * group commit. Migration 008-group-append applies it; migrations keep no copies. `requests` is
 * a JSON array of batches, each what `mt_append_events` takes (see append-function.ts).
 *
 * It takes the log's lock once. When no id of the group is stored or repeated and every
 * expectedVersion holds — the common case — it inserts the whole group in one statement, each
 * subject's events numbered in request order, and answers from that insert. Otherwise it appends
 * each batch through `mt_append_events` in a block of
 * its own (`begin … exception … end`, a subtransaction): a batch that is refused — an id stored
 * with other content (MT001), an expectedVersion that does not match (MT002), or any other error
 * — is undone alone, and the others are stored. It answers per request, in request order: the
 * rows `mt_append_events` answers, each with its request's index, or one row whose `refusal`
 * holds the error's SQLSTATE, message and detail. An error that cannot be caught (a statement
 * cancelled for its timeout) fails the whole group, and nothing of it is stored.
 *
 * The lock is the same one `mt_append_events` takes, held until this transaction commits, so
 * position order stays commit order across groups and lone appends alike (the one-statement
 * insert relies on it alone); taking it again inside `mt_append_events` costs a lookup in the
 * transaction's own lock table. A group is bounded by
 * its caller (src/store/group-commit.ts): every batch that writes takes a subtransaction id, and
 * past 64 of them in one transaction PostgreSQL's snapshots overflow their subtransaction cache,
 * which slows every reader until the transaction ends.
 *
 * `mt_append_events` is called by its name alone, as the session's search path finds it, which
 * is what lets test/support/slow-append.ts put a copy of both functions in front.
 */
export const appendGroupFunction = `
    create or replace function mt_append_group(requests jsonb)
    returns table (request integer, idx integer, appended boolean, "position" bigint, version integer,
                   effective_from timestamptz, recorded_at timestamptz, refusal jsonb)
    language plpgsql as $$
    declare
      ids uuid[];
      stored uuid[];
      last_recorded timestamptz;
      recorded timestamptz;
      answer jsonb;
      n integer := 0;
      batch jsonb;
      state text;
      message text;
      about text;
    begin
      perform pg_advisory_xact_lock(7388460240563250001);

      -- The common case in one statement: no id of the group stored or repeated, and every
      -- expectedVersion met (the insert is conditional on it, so a refusal inserts nothing).
      -- Not "not exists (… where id = any(ids))": planned for its first row, that scans the log.
      ids := array(select (e->>'id')::uuid from jsonb_array_elements(requests) as r, jsonb_array_elements(r) as e);
      stored := array(select e.id from events e where e.id = any(ids));
      if cardinality(stored) = 0 and cardinality(ids) = (select count(distinct i) from unnest(ids) as i) then
        select e.recorded_at into last_recorded from events e order by e.position desc limit 1;
        recorded := greatest(date_trunc('milliseconds', clock_timestamp()), last_recorded);
        -- Collected first, returned after the block: rows returned inside it would stay returned
        -- if the block were undone, and the request-by-request path would answer them again.
        begin
          select jsonb_agg(jsonb_build_array(g.n, g.idx, g.position, g.version, g.effective_from, g.recorded_at)
                           order by g.n, g.idx)
            into answer
            from (with incoming as (
              select (r.n - 1)::int as n, b.*
                from jsonb_array_elements(requests) with ordinality as r(batch, n),
                     jsonb_to_recordset(r.batch) as b(idx int, id uuid, type text, schema_version int, subject text,
                                                      occurred_at text, precision text, effective_from timestamptz,
                                                      data jsonb, source jsonb, expected_version int)
            ), numbered as (
              select i.*,
                     coalesce((select max(e.version) from events e where e.subject = i.subject), 0)
                       + row_number() over (partition by i.subject order by i.n, i.idx) as version
                from incoming i
            ), refused as (
              select from numbered m
               where m.expected_version is not null and m.expected_version <> m.version - 1
               limit 1
            ), inserted as (
              insert into events (id, type, schema_version, subject, version, occurred_at, precision,
                                  effective_from, recorded_at, data, source)
              select m.id, m.type, m.schema_version, m.subject, m.version, m.occurred_at, m.precision,
                     m.effective_from, recorded, m.data, m.source
                from numbered m
               where not exists (select from refused)
               order by m.n, m.idx
              returning events.id, events.position, events.version, events.effective_from, events.recorded_at
            )
            select m.n, m.idx, i.position, i.version, i.effective_from, i.recorded_at
              from inserted i join numbered m on m.id = i.id) as g;
        exception when others then
          answer := null;
        end;
        if answer is not null then
          return query
            select (a->>0)::int, (a->>1)::int, true, (a->>2)::bigint, (a->>3)::int, (a->>4)::timestamptz,
                   (a->>5)::timestamptz, null::jsonb
              from jsonb_array_elements(answer) as a;
          return;
        end if;
      end if;

      -- Otherwise request by request, each in a subtransaction of its own.
      for batch in select r from jsonb_array_elements(requests) as r loop
        begin
          return query
            select n, a.idx, a.appended, a.position, a.version, a.effective_from, a.recorded_at, null::jsonb
              from mt_append_events(batch) as a;
        exception when others then
          get stacked diagnostics state = returned_sqlstate, message = message_text, about = pg_exception_detail;
          return query
            select n, null::integer, null::boolean, null::bigint, null::integer, null::timestamptz,
                   null::timestamptz, jsonb_build_object('code', state, 'message', message, 'detail', about);
        end;
        n := n + 1;
      end loop;
    end $$`
