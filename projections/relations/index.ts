import type { MarketEvent } from '../../events/index.js'
import type { RelationKind } from '../../events/relation-established.js'
import type { FactStatus } from '../../src/catalogue/fields.js'
import { type ChangePoint, changePointTable, insertRows, pointOf } from '../../src/projector/change-points.js'
import { defineProjection } from '../../src/projector/projection.js'
import { relationComparable } from './comparables.js'
import { relationQueries } from './queries.js'

/**
 * Relations between two entities, as change points: one row per establishment or end of the
 * relation (from, kind, to). A planned or announced establishment is kept with its status, and
 * no query of the relations in effect counts it.
 */
export interface RelationChangeRow extends ChangePoint {
  from_entity: string
  to_entity: string
  kind: RelationKind
  change: 'established' | 'ended'
  status: FactStatus | null
  summary: string | null
  reason: string | null
  precision: string
}

interface Tables {
  relation_changes: RelationChangeRow
}

export const relationsProjection = defineProjection<Tables, MarketEvent>({
  name: 'relations',
  description: 'Relations between entities (built on, integrates, part of, …), as of any date',
  tables: {
    relation_changes:
      changePointTable(`from_entity text not null, to_entity text not null, kind text not null,
      change text not null check (change in ('established', 'ended')),
      status text check (status in ('planned', 'announced')), summary text, reason text, precision text not null`),
  },
  eventTypes: ['relation.established', 'relation.ended'],
  indexes: [
    'relation_changes (from_entity, kind, to_entity, effective_from, position)',
    'relation_changes (to_entity)',
    'relation_changes (event_id)',
  ],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'relation_changes',
      events.flatMap((e) => relationChangesOf(e, marketTz)),
    )
  },
  queries: relationQueries,
  comparables: [relationComparable],
})

export function relationChangesOf(event: MarketEvent, marketTz: string): RelationChangeRow[] {
  switch (event.type) {
    case 'relation.established':
      return [
        {
          from_entity: event.subject,
          to_entity: event.data.to,
          kind: event.data.kind,
          change: 'established',
          status: event.data.status ?? null,
          summary: event.data.summary ?? null,
          reason: null,
          precision: event.precision,
          ...pointOf(event, marketTz),
        },
      ]
    case 'relation.ended':
      return [
        {
          from_entity: event.subject,
          to_entity: event.data.to,
          kind: event.data.kind,
          change: 'ended',
          status: null,
          summary: null,
          reason: event.data.reason ?? null,
          precision: event.precision,
          ...pointOf(event, marketTz),
        },
      ]
    default:
      return []
  }
}
