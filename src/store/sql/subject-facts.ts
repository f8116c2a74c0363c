import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import { reportedAtSql } from '../../time/reported-at.js'

/** One of a subject's facts, with the retraction that counts against it, if any. */
export interface SubjectFactRow {
  readonly id: string
  readonly type: string
  readonly precision: string
  readonly effective_from: Date
  readonly recorded_at: Date
  readonly position: number
  readonly data: unknown
  readonly source: unknown
  readonly retraction_id: string | null
  readonly retraction_recorded_at: Date | null
  readonly retraction_reason: string | null
}

export interface SubjectFactsQuery {
  readonly subject: string
  readonly knownAt: Date
  readonly reportedBy?: Date | undefined
  readonly effectiveFrom?: Date | undefined
  readonly effectiveTo?: Date | undefined
  readonly marketTz: string
}

/**
 * The subject's facts (every event but retractions) recorded by `knownAt` — and, with
 * `reportedBy`, published by then — in valid-time order, each with its retraction when one was
 * recorded (and published) by then. As the projector does, a fact's retraction is the first one
 * after it in the log; a later one never counts. Retractions are found by the id they retract
 * (index `events_retraction_target`), whatever their own subject.
 */
export async function selectSubjectFacts(
  db: Kysely<Database>,
  q: SubjectFactsQuery,
): Promise<SubjectFactRow[]> {
  const reported = (alias: string) =>
    reportedAtSql(
      sql`${sql.ref(alias)}.source->>'publishedAt'`,
      sql`${sql.ref(alias)}.recorded_at`,
      q.marketTz,
    )
  const reportedBy = q.reportedBy ?? null
  const from = q.effectiveFrom ?? null
  const to = q.effectiveTo ?? null
  const { rows } = await sql<SubjectFactRow>`
    with facts as materialized (
      select e.id, e.type, e.precision, e.effective_from, e.recorded_at, e.position, e.data, e.source
        from events e
       where e.subject = ${q.subject} and e.type <> 'event.retracted' and e.recorded_at <= ${q.knownAt}
         and (${reportedBy}::timestamptz is null or ${reported('e')} <= ${reportedBy})
         and (${from}::timestamptz is null or e.effective_from >= ${from})
         and (${to}::timestamptz is null or e.effective_from <= ${to})
    )
    select f.*, r.id as retraction_id, r.recorded_at as retraction_recorded_at, r.reason as retraction_reason
      from facts f
      left join lateral (
        select r.id, r.recorded_at, r.data->>'reason' as reason, ${reported('r')} as reported_at
          from events r
         where r.type = 'event.retracted' and (r.data->>'eventId')::uuid = f.id and r.position > f.position
         order by r.position
         limit 1
      ) r on r.recorded_at <= ${q.knownAt}
        and (${reportedBy}::timestamptz is null or r.reported_at <= ${reportedBy})
     order by f.effective_from, f.position
  `.execute(db)
  return rows
}

/** True when the log holds any event of the subject, whenever recorded. */
export async function subjectIsKnown(db: Kysely<Database>, subject: string): Promise<boolean> {
  const row = await db
    .selectFrom('events')
    .select('position')
    .where('subject', '=', subject)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
