import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Catalogue } from '../../src/catalogue/catalogue.js'
import { statusOf } from '../../src/catalogue/catalogue.js'
import type { EventSource, RecordedEvent } from '../../src/catalogue/event-type.js'
import { knownBy } from '../../src/projector/change-points.js'
import type { Precision } from '../../src/time/market-date.js'
import { reportedAtSql } from '../../src/time/reported-at.js'
import { entityNamesKnownAt, nameLookupOf } from '../entities.js'
import type { TimelineEntry, TimelinePeriod } from './schemas.js'

export interface TimelineQuery {
  readonly knownAt: Date
  readonly reportedBy?: Date
  /** The zone `reportedBy` reads publication dates in; needed with it. */
  readonly marketTz?: string
  readonly from?: Date
  readonly to?: Date
  readonly types?: readonly string[]
  /** With `types`: only events of both lists (`kind=reference`). */
  readonly onlyTypes?: readonly string[]
  /** No events of these types (`kind=fact` leaves out reference data). */
  readonly excludedTypes?: readonly string[]
  readonly subject?: string
  /** Only events dated to these precisions (a year-only fact is not a January fact). */
  readonly precisions?: readonly string[]
  readonly limit: number
  /** Resume after this (effectiveFrom, position), from the previous page's cursor. */
  readonly after?: { readonly effectiveFrom: Date; readonly position: number }
}

/** The filters a timeline page and its periods share, on the timeline aliased `t`. */
function timelineFilter(q: Omit<TimelineQuery, 'limit' | 'after'>): RawBuilder<boolean> {
  const types = q.types ? [...q.types] : null
  const only = q.onlyTypes ? [...q.onlyTypes] : null
  const excluded = q.excludedTypes?.length ? [...q.excludedTypes] : null
  const precisions = q.precisions ? [...q.precisions] : null
  return sql<boolean>`${knownThen(q)}
       and (${q.from ?? null}::timestamptz is null or t.effective_from >= ${q.from ?? null})
       and (${q.to ?? null}::timestamptz is null or t.effective_from <= ${q.to ?? null})
       and (${q.subject ?? null}::text is null or t.subject = ${q.subject ?? null})
       and (${types}::text[] is null or t.type = any(${types}))
       and (${only}::text[] is null or t.type = any(${only}))
       and (${excluded}::text[] is null or t.type <> all(${excluded}))
       and (${precisions}::text[] is null or t.precision = any(${precisions}))`
}

/**
 * What was known at `knownAt` (and, with `reportedBy`, public by then). The timeline is the log,
 * which keeps no reported instant: each event's is computed from its source by the rule the change
 * points are filled by (src/time/reported-at.ts).
 */
function knownThen(q: Pick<TimelineQuery, 'knownAt' | 'reportedBy' | 'marketTz'>): RawBuilder<boolean> {
  if (q.reportedBy === undefined) return knownBy('t', q.knownAt)
  const reported = reportedAtSql(sql`t.source->>'publishedAt'`, sql`t.recorded_at`, q.marketTz ?? 'UTC')
  return sql<boolean>`(t.recorded_at <= ${q.knownAt} and ${reported} <= ${q.reportedBy}
    and (t.retracted_at is null or t.retracted_at > ${q.knownAt} or t.retraction_reported_at > ${q.reportedBy}))`
}

/** A row of the timeline view: an event of the log with its retraction time. */
interface Row {
  type: string
  subject: string
  occurred_at: string
  precision: string
  schema_version: number
  data: unknown
  source: unknown
  effective_from: Date
  recorded_at: Date
  retracted_at: Date | null
  position: number
  event_id: string
}

/** A page of the timeline in valid-time order (ties by recording order). */
export async function timelinePage<DB>(
  db: Kysely<DB>,
  catalogue: Catalogue,
  q: TimelineQuery,
): Promise<TimelineEntry[]> {
  const { rows } = await sql<Row>`
    select t.* from rm_timeline.timeline t
     where ${timelineFilter(q)}
       and (${q.after?.effectiveFrom ?? null}::timestamptz is null
            or (t.effective_from, t.position) > (${q.after?.effectiveFrom ?? null}, ${q.after?.position ?? 0}))
     order by t.effective_from, t.position
     limit ${q.limit}
  `.execute(db)
  const names = nameLookupOf(await entityNamesKnownAt(db, q))
  return rows.map((r) => {
    const event: RecordedEvent = {
      id: r.event_id,
      type: r.type,
      subject: r.subject,
      occurredAt: r.occurred_at,
      precision: r.precision as Precision,
      effectiveFrom: r.effective_from.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
      position: Number(r.position),
      version: 0,
      // The log keeps data as written; a reader sees it in the type's current schema.
      data: catalogue.upcast(r.type, r.schema_version, r.data),
      ...(r.source ? { source: r.source as EventSource } : {}),
    }
    return {
      eventId: event.id,
      position: event.position,
      type: event.type,
      subject: event.subject,
      occurredAt: event.occurredAt,
      precision: event.precision,
      effectiveFrom: event.effectiveFrom,
      recordedAt: event.recordedAt,
      summary: catalogue.summary(event, names),
      status: statusOf(event) ?? null,
      data: event.data,
      ...(event.source ? { source: event.source } : {}),
    }
  })
}

export type TimelinePeriodsQuery = Omit<TimelineQuery, 'limit' | 'after'> & { readonly timeZone: string }

/**
 * How many events each period of the timeline holds, in valid-time order: a month for facts
 * dated to a month, day or instant, and a year of its own for facts dated only to the year
 * (they take effect on 1 January but did not happen in January). Months are the market's.
 */
export async function timelinePeriods<DB>(
  db: Kysely<DB>,
  q: TimelinePeriodsQuery,
): Promise<TimelinePeriod[]> {
  const { rows } = await sql<{ period: string; precision: 'year' | 'month'; from: Date; count: number }>`
    with dated as (
      select case when t.precision = 'year' then 'year' else 'month' end as precision,
             date_trunc(case when t.precision = 'year' then 'year' else 'month' end,
                        t.effective_from at time zone ${q.timeZone}) as local_start
        from rm_timeline.timeline t
       where ${timelineFilter(q)}
    )
    select to_char(local_start, case when precision = 'year' then 'YYYY' else 'YYYY-MM' end) as period,
           precision,
           local_start at time zone ${q.timeZone} as "from",
           count(*)::int as count
      from dated
     group by local_start, precision
     order by local_start, precision desc
  `.execute(db)
  return rows.map((r) => ({
    period: r.period,
    precision: r.precision,
    from: r.from.toISOString(),
    count: r.count,
  }))
}
