import { sql } from 'kysely'
import { retractionsIn } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { timelineQueries } from './queries.js'
import type { Tables } from './rows.js'

/**
 * The timeline is the log itself: its entries are read from `events`, up to the generation's
 * checkpoint, and the read model keeps only what the log lacks — when each event was retracted.
 * A retraction marks the event it names once, with the earliest retraction after the event (by
 * position), as the projector marks change-point rows; so the outcome does not depend on how the
 * log was cut into batches.
 */
export const timelineProjection = defineProjection<Tables>({
  name: 'timeline',
  description: 'Every fact in valid-time order, with a one-line summary',
  tables: {
    retractions:
      '(event_id uuid not null, retracted_at timestamptz not null, retraction_reported_at timestamptz not null)',
  },
  indexes: ['retractions (event_id)'],
  views: {
    timeline: ({ name, schema, generation }) => `
      select e.type, e.subject, e.occurred_at, e.precision, e.schema_version, e.data, e.source,
             e.effective_from, e.recorded_at, r.retracted_at, e.position, e.id as event_id,
             r.retraction_reported_at
        from public.events e
        left join "${schema}".retractions r on r.event_id = e.id
       where e.position <= (select c.position from public.projection_checkpoints c
                             where c.name = '${name}' and c.generation = ${generation})`,
  },
  // Only the retractions: every other event is in the log already.
  eventTypes: [],
  async apply(db, events, { marketTz }) {
    const retractions = retractionsIn(events, marketTz)
    if (retractions.length === 0) return
    await sql`
      insert into retractions (event_id, retracted_at, retraction_reported_at)
      select distinct on (r."eventId") r."eventId", r."recordedAt", r."reportedAt"
        from jsonb_to_recordset(${JSON.stringify(retractions)}::jsonb)
             as r("eventId" uuid, "recordedAt" timestamptz, position bigint, "reportedAt" timestamptz)
        join public.events e on e.id = r."eventId" and e.position < r.position
       where not exists (select 1 from retractions x where x.event_id = r."eventId")
       order by r."eventId", r.position
    `.execute(db)
  },
  queries: timelineQueries,
})
