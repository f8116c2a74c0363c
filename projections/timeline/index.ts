import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { timelineQueries } from './queries.js'
import type { Tables, TimelineRow } from './rows.js'

export const timelineProjection = defineProjection<Tables>({
  name: 'timeline',
  description: 'Every fact in valid-time order, with a one-line summary',
  tables: {
    timeline:
      changePointTable(`type text not null, subject text not null, occurred_at text not null, precision text not null,
      data jsonb not null, source jsonb`),
  },
  indexes: [
    'timeline (effective_from, position)',
    'timeline (subject, effective_from, position)',
    'timeline (event_id)',
  ],
  async apply(db, events) {
    await insertRows(db, 'timeline', events.map(timelineRowOf))
  },
  queries: timelineQueries,
})

function timelineRowOf(event: RecordedEvent): TimelineRow {
  return {
    type: event.type,
    subject: event.subject,
    occurred_at: event.occurredAt,
    precision: event.precision,
    data: event.data,
    source: event.source ?? null,
    ...pointOf(event),
  }
}
