import { type Kysely, sql } from 'kysely'

/**
 * `mt_append_events` answers with what only the database knows — position, version,
 * effectiveFrom as stored, recordedAt, and whether each event was new — instead of whole rows:
 * the caller already holds the rest, and for an idempotent re-post the stored content is equal
 * to it (or the append is refused). Sending the data back and parsing it again cost about a
 * fifth of a batch append. Otherwise the function is unchanged; see 001-event-log.ts for why
 * appends are serialised.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop function mt_append_events(jsonb)`.execute(db)
  await sql`
    create function mt_append_events(batch jsonb)
    returns table (idx integer, appended boolean, "position" bigint, version integer,
                   effective_from timestamptz, recorded_at timestamptz)
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
        select array_position(ids, e.id) - 1, e.position > head, e.position, e.version,
               e.effective_from, e.recorded_at
          from events e
         where e.id = any(ids)
         order by 1;
    end $$
  `.execute(db)
}

export async function down(): Promise<void> {
  throw new Error('005-lean-append cannot be undone on its own; roll back 001-event-log instead')
}
