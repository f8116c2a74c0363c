import { type Kysely, type RawBuilder, sql } from 'kysely'
import type pg from 'pg'
import type { Database } from '../db/schema.js'
import type { Comparable } from '../diff/model.js'
import { headPosition } from '../store/sql/head.js'
import { subjectHistory } from './history.js'

/**
 * Kept histories: a subject's history as known now, made by the workers ahead of the request and
 * answered as it was made while nothing it was made from has changed.
 *
 * A history is made of (src/history/history.ts) the subject's facts, the first retraction of each
 * (whatever its subject), the rows of its models in the read models, which come from its own facts,
 * and names as the registrations give them. A kept history holds marks of what it was made from,
 * each read through an index at the request:
 * - the subject's last version (its events are numbered 1, 2, … as they are appended);
 * - the last name the entities read model holds (a registration, a launch or a formation: a new
 *   name may show in any history);
 * - the last retraction in the log when it was made: a later one that retracts one of the
 *   subject's events or an event that gave a name makes it stale;
 * - the live generation of each read model the comparables read (a rebuild may make other rows).
 *
 * It is answered only where every mark still holds and the request's knownAt is at or after every
 * recording it counts (a knownAt before one of them would not see it); anything else is computed
 * as before. A fact appended but not yet applied moves a mark at once, so nothing stale is
 * answered while the keeper catches up; reads with `consistentWith`, `reportedBy`, `from` or `to`
 * are always computed.
 */
interface Marks {
  readonly version: number
  readonly registrations: number
  readonly retractions: number
  readonly generations: string
}

function generationsOf(readModels: readonly string[]): RawBuilder<string> {
  return sql<string>`(
    select coalesce(string_agg(p.name || ':' || p.live_generation, ',' order by p.name), '')
      from projections p where p.name = any(${sql.val(readModels)}::text[])
  )`
}

/**
 * The position of the last event that gave a name, as the entities read model holds them (every
 * naming type: a registration, a launch, a formation). Read there rather than in the log: the
 * histories read names there too, so a name appended but not yet applied is in neither.
 */
const lastName = sql<number>`(select coalesce(max(n.position), 0) from rm_entities.entities n)`

/** True where the event at `alias` gave a name (the entities read model holds it). */
function namedBy(alias: string): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from rm_entities.entities n where n.position = ${sql.ref(alias)}.position)`
}

/** True where the kept history at `k` was made from what the log and the read models hold now. */
function stillHolds(subject: string, readModels: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`(
    k.version = (select coalesce(max(e.version), 0) from events e where e.subject = ${subject})
    and k.registrations = ${lastName}
    and k.generations = ${generationsOf(readModels)}
    and (
      -- No retraction since it was made (the usual case: the keeper moves the mark up), or none of
      -- them retracts one of the subject's events or an event that gave a name.
      k.retractions = (select coalesce(max(e.position), 0) from events e where e.type = 'event.retracted')
      or not exists (
        select 1 from events r
          join events t on t.id = (r.data->>'eventId')::uuid
         where r.type = 'event.retracted' and r.position > k.retractions
           and (t.subject = ${subject} or ${namedBy('t')})))
  )`
}

/**
 * The subject's kept history (its changes, as the bytes of their JSON), where it may be answered for
 * `knownAt`. Read in binary through `pool` (the pool behind `db`) and sent as they are stored, never
 * parsed nor written again. node-postgres (8.23) still decodes every field it receives into a string
 * and makes a Buffer of it again: for a company's 340 kB on the bench's 1M log, 14 % of the API
 * thread's busy time under 10 connections (a CPU profile, docs/performance.md).
 */
export async function keptHistory(
  db: Kysely<Database>,
  pool: pg.Pool,
  subject: string,
  knownAt: Date,
  readModels: readonly string[],
): Promise<Buffer | undefined> {
  const query = sql<{ changes: Buffer }>`
    select k.changes from kept_histories k
     where k.subject = ${subject} and k.known_from <= ${knownAt} and ${stillHolds(subject, readModels)}
  `.compile(db)
  // node-postgres reads `binary` (results in binary format), which its types do not name; its own
  // parsers would make a string of an unregistered binary type, so the bytes are taken as they come.
  const config: pg.QueryConfig & { binary: boolean } = {
    text: query.sql,
    values: [...query.parameters],
    binary: true,
    types: { getTypeParser: () => (value: unknown) => value },
  }
  const { rows } = await pool.query<{ changes: Buffer }>(config)
  return rows[0]?.changes
}

/**
 * What a history made now counts, as far as the read models have applied (`upTo`): its marks,
 * the latest recording (or retraction) it counts, how many facts the subject has, and the last
 * position of those facts and their first retractions.
 */
interface Making extends Marks {
  readonly knownFrom: Date | null
  readonly facts: number
  readonly lastPosition: number
}

async function makingOf(
  db: Kysely<Database>,
  subject: string,
  upTo: number,
  readModels: readonly string[],
): Promise<Making | undefined> {
  const { rows } = await sql<Making>`
    with own as (
      select e.id, e.position, e.recorded_at from events e
       where e.subject = ${subject} and e.type <> 'event.retracted'
    ), retractions as (
      -- The first retraction of each fact, as the history counts it: one probe of the index each.
      select r.position, r.recorded_at from own o
       cross join lateral (
         select r.position, r.recorded_at from events r
          where r.type = 'event.retracted' and (r.data->>'eventId')::uuid = o.id and r.position > o.position
          order by r.position
          limit 1
       ) r
    )
    select (select coalesce(max(e.version), 0) from events e where e.subject = ${subject} and e.position <= ${upTo}) as version,
           ${lastName}::int8 as registrations,
           (select coalesce(max(e.position), 0) from events e where e.type = 'event.retracted' and e.position <= ${upTo})::int8 as retractions,
           ${generationsOf(readModels)} as generations,
           greatest((select max(recorded_at) from own), (select max(recorded_at) from retractions),
                    (select max(greatest(n.recorded_at, n.retracted_at)) from rm_entities.entities n)) as "knownFrom",
           (select count(*) from own)::int as facts,
           greatest((select coalesce(max(position), 0) from own),
                    (select coalesce(max(position), 0) from retractions))::int8 as "lastPosition"
  `.execute(db)
  return rows[0]
}

export interface KeepOptions {
  readonly db: Kysely<Database>
  readonly comparables: readonly Comparable[]
  readonly marketTz: string
  /** Asked between subjects: true ends the turn early (the worker is stopping). */
  readonly stopping: () => boolean
  /**
   * Subjects with more facts are not kept (their histories are computed at the request): making
   * one takes the worker's event loop for as long, and its projector waits behind it.
   */
  readonly maxFacts?: number
  /**
   * While the log moves (an append since the turn began), a turn ends after this long making
   * histories; the rest are made in the next turns. On a quiet log a turn makes them all.
   */
  readonly budgetMs?: number
}

/** Where keeping stands between turns. */
export interface KeepState {
  /** The read models' position up to which the subjects that moved were looked for. */
  after: number | undefined
  /** The marks every history shares (the last name, the generations) at the last turn: a change re-reads every subject. */
  shared: string | undefined
  /** Subjects still to look at, in order. */
  readonly pending: Set<string>
}

export const newKeepState = (): KeepState => ({ after: undefined, shared: undefined, pending: new Set() })

/**
 * One turn: every subject that may have changed since the last turn (all of them on the first, or
 * when a rebuild or a new name may have changed every history) is looked at, and made
 * again where its kept history was made from something else. Nothing is looked at while the read
 * models are short of `head` (the log's): they are catching up. Answers how many were made.
 */
export async function keepHistories(options: KeepOptions, state: KeepState, head: number): Promise<number> {
  const { db, comparables, marketTz, maxFacts = 2000, budgetMs = 250 } = options
  const readModels = [...new Set(comparables.flatMap((c) => c.readModels))]
  const upTo = await appliedByAll(db, readModels)
  if (upTo < head) return 0
  const shared = await sharedMarks(db, readModels)
  const everything = state.after === undefined || shared !== state.shared
  const moved = everything ? await allSubjects(db, upTo) : await subjectsMoved(db, state.after ?? 0, upTo)
  for (const subject of moved) state.pending.add(subject)
  state.after = upTo
  state.shared = shared
  const started = performance.now()
  let made = 0
  for (const subject of state.pending) {
    if (options.stopping()) break
    if (performance.now() - started > budgetMs && (await headPosition(db)) > head) break
    state.pending.delete(subject)
    const making = await makingOf(db, subject, upTo, readModels)
    // Facts the read models have not all applied yet are in a later turn's moved subjects.
    if (!making || making.knownFrom === null || Number(making.lastPosition) > upTo) continue
    if (making.facts > maxFacts) continue
    // Still what it was made from: its retraction mark moves up, so that requests look at fewer.
    const held = await sql`
      update kept_histories k set retractions = ${making.retractions}
       where k.subject = ${subject} and ${stillHolds(subject, readModels)}
    `.execute(db)
    if (Number(held.numAffectedRows ?? 0) > 0) continue
    const changes = await subjectHistory(db, comparables, { subject, knownAt: new Date(), marketTz })
    await sql`
      insert into kept_histories (subject, version, registrations, retractions, generations, known_from, changes)
      values (${subject}, ${making.version}, ${making.registrations}, ${making.retractions}, ${making.generations},
              ${making.knownFrom}, ${Buffer.from(JSON.stringify(changes))})
      on conflict (subject) do update
        set version = excluded.version, registrations = excluded.registrations, retractions = excluded.retractions,
            generations = excluded.generations, known_from = excluded.known_from, changes = excluded.changes,
            kept_at = now()
    `.execute(db)
    made++
  }
  return made
}

/** The position every one of `readModels` has applied (its live generation's checkpoint). */
async function appliedByAll(db: Kysely<Database>, readModels: readonly string[]): Promise<number> {
  const { rows } = await sql<{ position: string | null }>`
    select min(c.position) as position
      from projections p
      join projection_checkpoints c on c.name = p.name and c.generation = p.live_generation
     where p.name = any(${sql.val(readModels)}::text[])
  `.execute(db)
  return Number(rows[0]?.position ?? 0)
}

/** The marks every history shares: the last name and the generations. */
async function sharedMarks(db: Kysely<Database>, readModels: readonly string[]): Promise<string> {
  const { rows } = await sql<{ marks: string }>`
    select ${lastName} || '/' || ${generationsOf(readModels)} as marks
  `.execute(db)
  return rows[0]?.marks ?? ''
}

async function allSubjects(db: Kysely<Database>, upTo: number): Promise<string[]> {
  const { rows } = await sql<{ subject: string }>`
    select distinct e.subject from events e where e.position <= ${upTo} order by e.subject
  `.execute(db)
  return rows.map((r) => r.subject)
}

/**
 * The subjects of the events applied since `after`, and of the facts their retractions retract;
 * every subject where one of them retracts an event that gave a name (any history may show it).
 */
async function subjectsMoved(db: Kysely<Database>, after: number, upTo: number): Promise<string[]> {
  if (upTo <= after) return []
  const { rows } = await sql<{ subject: string; names: boolean }>`
    select t.subject, ${namedBy('t')} as names from events r
      join events t on t.id = (r.data->>'eventId')::uuid
     where r.type = 'event.retracted' and r.position > ${after} and r.position <= ${upTo}
  `.execute(db)
  if (rows.some((r) => r.names)) return allSubjects(db, upTo)
  const { rows: applied } = await sql<{ subject: string }>`
    select distinct e.subject from events e where e.position > ${after} and e.position <= ${upTo}
  `.execute(db)
  return [...new Set([...applied.map((r) => r.subject), ...rows.map((r) => r.subject)])].sort()
}
