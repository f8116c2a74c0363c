import { type Kysely, type RawBuilder, sql } from 'kysely'
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
 * and names as the registrations give them. So what it was made from is fingerprinted as:
 * - the subject's facts: how many, and the last position;
 * - their retractions: how many, and the last position;
 * - the registrations as the entities read model holds them: how many, the last position, how many
 *   are retracted and when the last was learned;
 * - the live generation of each read model the comparables read (a rebuild may make other rows).
 *
 * A kept history is answered only where that fingerprint, taken again at the request, is the one
 * it was made under, and the request's knownAt is at or after every recording it counts (a
 * knownAt before one of them would not see it). Anything else is computed as before. Keeping
 * follows the read models: a fact appended but not yet applied changes the fingerprint at once
 * (its position), so the kept history is no longer answered; reads with `consistentWith`,
 * `reportedBy`, `from` or `to` are always computed.
 */
export interface HistoryInputs {
  readonly inputs: string
  /** The latest recording (or retraction) the fingerprint counts; null: the subject has no facts. */
  readonly knownFrom: Date | null
  /** The last position of the subject's facts and their retractions. */
  readonly lastPosition: number
  /** How many facts the subject has. */
  readonly facts: number
}

function inputsOf(subject: string, readModels: readonly string[]): RawBuilder<HistoryInputs> {
  return sql<HistoryInputs>`(
    with own as (
      select e.id, e.position, e.recorded_at from events e
       where e.subject = ${subject} and e.type <> 'event.retracted'
    ), retractions as (
      select r.position, r.recorded_at from own o
        join events r on r.type = 'event.retracted' and (r.data->>'eventId')::uuid = o.id and r.position > o.position
    ), names as (
      select count(*) as n, coalesce(max(e.position), 0) as position, count(e.retracted_at) as retracted,
             max(greatest(e.recorded_at, e.retracted_at)) as learned
        from rm_entities.entities e
    ), generations as (
      select string_agg(p.name || ':' || p.live_generation, ',' order by p.name) as live
        from projections p where p.name = any(${sql.val(readModels)}::text[])
    )
    select concat_ws('/',
             (select count(*) || ':' || coalesce(max(position), 0) from own),
             (select count(*) || ':' || coalesce(max(position), 0) from retractions),
             (select n || ':' || position || ':' || retracted || ':' || coalesce((extract(epoch from learned) * 1000000)::bigint, 0) from names),
             (select live from generations)) as inputs,
           greatest((select max(recorded_at) from own), (select max(recorded_at) from retractions),
                    (select learned from names)) as "knownFrom",
           greatest((select coalesce(max(position), 0) from own),
                    (select coalesce(max(position), 0) from retractions))::int8 as "lastPosition",
           (select count(*) from own)::int as facts
  )`
}

/** The subject's kept history (its changes, as JSON), where it may be answered for `knownAt`. */
export async function keptHistory(
  db: Kysely<Database>,
  subject: string,
  knownAt: Date,
  readModels: readonly string[],
): Promise<string | undefined> {
  const { rows } = await sql<{ changes: string }>`
    select k.changes from kept_histories k, ${inputsOf(subject, readModels)} i
     where k.subject = ${subject} and k.inputs = i.inputs and i."knownFrom" <= ${knownAt}
  `.execute(db)
  return rows[0]?.changes
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
  /** The generations and names part of the fingerprint at the last turn: a change re-reads every subject. */
  shared: string | undefined
  /** Subjects still to fingerprint, in order. */
  readonly pending: Set<string>
}

export const newKeepState = (): KeepState => ({ after: undefined, shared: undefined, pending: new Set() })

/**
 * One turn: every subject that may have changed since the last turn (all of them on the first, or
 * when a rebuild or a registration may have changed every history) is fingerprinted, and made
 * again where its kept history was made from something else. Nothing is looked at while the read
 * models are short of `head` (the log's): they are catching up. Answers how many were made.
 */
export async function keepHistories(options: KeepOptions, state: KeepState, head: number): Promise<number> {
  const { db, comparables, marketTz, maxFacts = 2000, budgetMs = 250 } = options
  const readModels = [...new Set(comparables.flatMap((c) => c.readModels))]
  const upTo = await appliedByAll(db, readModels)
  if (upTo < head) return 0
  const shared = await sharedInputs(db, readModels)
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
    const { rows } = await sql<HistoryInputs & { kept: string | null }>`
      select i.*, (select k.inputs from kept_histories k where k.subject = ${subject}) as kept
        from ${inputsOf(subject, readModels)} i
    `.execute(db)
    const inputs = rows[0]
    // Facts the read models have not all applied yet are in a later turn's moved subjects.
    if (!inputs || inputs.knownFrom === null || Number(inputs.lastPosition) > upTo) continue
    if (inputs.kept === inputs.inputs || inputs.facts > maxFacts) continue
    const changes = await subjectHistory(db, comparables, { subject, knownAt: new Date(), marketTz })
    await sql`
      insert into kept_histories (subject, inputs, known_from, changes)
      values (${subject}, ${inputs.inputs}, ${inputs.knownFrom}, ${JSON.stringify(changes)})
      on conflict (subject) do update
        set inputs = excluded.inputs, known_from = excluded.known_from, changes = excluded.changes, kept_at = now()
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

/** The parts of every subject's fingerprint that are the same for all: the names and the generations. */
async function sharedInputs(db: Kysely<Database>, readModels: readonly string[]): Promise<string> {
  const { rows } = await sql<{ inputs: string }>`select i.inputs from ${inputsOf('', readModels)} i`.execute(
    db,
  )
  return (rows[0]?.inputs ?? '').split('/').slice(2).join('/')
}

async function allSubjects(db: Kysely<Database>, upTo: number): Promise<string[]> {
  const { rows } = await sql<{ subject: string }>`
    select distinct e.subject from events e where e.position <= ${upTo} order by e.subject
  `.execute(db)
  return rows.map((r) => r.subject)
}

/** The subjects of the events applied since `after`, and of the facts their retractions retract. */
async function subjectsMoved(db: Kysely<Database>, after: number, upTo: number): Promise<string[]> {
  if (upTo <= after) return []
  const { rows } = await sql<{ subject: string }>`
    select e.subject from events e where e.position > ${after} and e.position <= ${upTo}
    union
    select t.subject from events r
      join events t on t.id = (r.data->>'eventId')::uuid
     where r.type = 'event.retracted' and r.position > ${after} and r.position <= ${upTo}
     order by 1
  `.execute(db)
  return rows.map((r) => r.subject)
}
