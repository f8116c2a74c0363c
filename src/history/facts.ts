import type { EventSource } from '../catalogue/event-type.js'
import type { FactStatus } from '../catalogue/fields.js'
import type { DiffModel } from '../diff/model.js'
import type { Precision } from '../time/market-date.js'

/** One of a subject's events as its history needs it: when, from where, and whether it stands. */
export interface SubjectFact {
  readonly id: string
  readonly type: string
  readonly precision: Precision
  readonly effectiveFrom: Date
  readonly recordedAt: Date
  readonly position: number
  readonly data: Readonly<Record<string, unknown>>
  readonly source: EventSource | null
  /** Planned or announced: never in effect. */
  readonly status: FactStatus | null
  /** The retraction that counts against it at the history's knownAt, if any. */
  readonly retracted: { readonly at: Date; readonly reason: string; readonly eventId: string } | null
}

/**
 * The models whose rows an event of this type can step: where a change is looked for when the
 * rows themselves do not name the event (a member who left, a relation that ended).
 */
export function modelsStepped(type: string): readonly DiffModel[] {
  switch (type) {
    case 'price.changed':
      return ['price']
    case 'alliance.formed':
      return ['alliance', 'alliance-member']
    case 'alliance.member_joined':
    case 'alliance.member_left':
      return ['alliance-member']
    case 'funding.round_closed':
      return ['funding-round', 'valuation']
    case 'product.launched':
    case 'product.updated':
      return ['product']
    case 'relation.established':
    case 'relation.ended':
      return ['relation']
    case 'metric.reported':
      return ['metric']
    case 'entity.registered':
      return ['product', 'price']
    default:
      return []
  }
}
