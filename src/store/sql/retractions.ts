import { type Kysely, sql } from 'kysely'
import type { Database } from '../../db/schema.js'

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
