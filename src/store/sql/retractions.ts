import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'
import { reportedAtSql } from '../../time/reported-at.js'

/**
 * The events retracted at or before `upTo`: each retracted id (lower case) with the position of
 * its last retraction. A retraction counts only for an earlier event, as in the read models
 * (the reader compares positions); retracting a retraction changes nothing. Reads the
 * retractions alone, through the type index, and joins nothing: a join with the log would
 * scan all of it.
 */
export async function retractionsUpTo(db: Kysely<Database>, upTo: number): Promise<Map<string, number>> {
  const { rows } = await sql<{ eventId: string; position: number }>`
    select data->>'eventId' as "eventId", position
      from events
     where type = 'event.retracted' and position <= ${upTo}
     order by position
  `.execute(db)
  return new Map(rows.map((r) => [r.eventId.toLowerCase(), r.position]))
}

/** A retraction as `reportedBy` weighs it: where it is in the log, and when it became public. */
export interface ReportedRetraction {
  readonly position: number
  /** Epoch milliseconds: the end of its source's publishedAt, else when it was recorded. */
  readonly reportedAt: number
}

/**
 * The retractions at or before `upTo` of each retracted id (lower case), in position order, with
 * their reported instants by the rule of the change points (src/time/reported-at.ts).
 */
export async function reportedRetractionsUpTo(
  db: Kysely<Database>,
  upTo: number,
  marketTz: string,
): Promise<Map<string, ReportedRetraction[]>> {
  const reported = reportedAtSql(sql`source->>'publishedAt'`, sql`recorded_at`, marketTz)
  const { rows } = await sql<{ eventId: string; position: number; reportedAt: number }>`
    select data->>'eventId' as "eventId", position,
           (extract(epoch from ${reported}) * 1000)::bigint as "reportedAt"
      from events
     where type = 'event.retracted' and position <= ${upTo}
     order by position
  `.execute(db)
  const byEvent = new Map<string, ReportedRetraction[]>()
  for (const { eventId, position, reportedAt } of rows) {
    const id = eventId.toLowerCase()
    const list = byEvent.get(id) ?? []
    list.push({ position, reportedAt: Number(reportedAt) })
    byEvent.set(id, list)
  }
  return byEvent
}

/**
 * The retractions recorded in (after, upTo] — with `reportedBy`, only those public by then — by
 * the id (lower case) of the event each retracts. Through the type index, like the reads above.
 */
export async function retractionsRecordedBetween(
  db: Kysely<Database>,
  q: {
    readonly after: Date
    readonly upTo: Date
    readonly reportedBy?: Date | undefined
    readonly marketTz: string
  },
): Promise<Map<string, string[]>> {
  const reported = reportedAtSql(sql`source->>'publishedAt'`, sql`recorded_at`, q.marketTz)
  const reportedBy = q.reportedBy ?? null
  const { rows } = await sql<{ retracted: string; id: string }>`
    select data->>'eventId' as retracted, id
      from events
     where type = 'event.retracted' and recorded_at > ${q.after} and recorded_at <= ${q.upTo}
       and (${reportedBy}::timestamptz is null or ${reported} <= ${reportedBy})
     order by position
  `.execute(db)
  const byEvent = new Map<string, string[]>()
  for (const { retracted, id } of rows) {
    const key = retracted.toLowerCase()
    byEvent.set(key, [...(byEvent.get(key) ?? []), id])
  }
  return byEvent
}
