import { statusOf } from '../../src/catalogue/catalogue.js'
import { type EntityNames, entityNameOf } from '../entity-names.js'
import type { MarketEntry } from '../market-entry.js'
import { type Alliances, alliancesOf, formAlliance, joinAlliance, leaveAlliance } from './alliances.js'
import { closeRound, companiesOf, type Funding } from './funding.js'
import { type Metrics, metricsOf, reportMetric } from './metrics.js'
import { changePrice, type Prices, productsOf } from './prices.js'
import { type Ownership, ownProduct } from './products.js'
import { endRelation, establishRelation, type Relations, relationsOf } from './relations.js'
import type { MarketSnapshot } from './schema.js'

export interface SnapshotState {
  readonly asOf: number
  readonly names: EntityNames
  /** Slugs named as products by a fact in effect at asOf. */
  readonly productsInEffect: Set<string>
  readonly prices: Prices
  readonly alliances: Alliances
  readonly funding: Funding
  readonly metrics: Metrics
  readonly relations: Relations
  readonly ownership: Ownership
}

export function initialSnapshot(asOf: number): SnapshotState {
  return {
    asOf,
    names: new Map(),
    productsInEffect: new Set(),
    prices: new Map(),
    alliances: new Map(),
    funding: new Map(),
    metrics: new Map(),
    relations: new Map(),
    ownership: new Map(),
  }
}

/**
 * Names count whatever their valid time, a planned launch's too (a name is a name); every other
 * fact only once it is in effect at asOf, and a planned or announced one never.
 */
export function evolveSnapshot(state: SnapshotState, event: MarketEntry): SnapshotState {
  const inEffect = event.effectiveAt <= state.asOf
  const entity = entityNameOf(event)
  if (entity) {
    state.names.set(event.subject, entity)
    if (inEffect && entity.kind === 'product' && !statusOf(event)) state.productsInEffect.add(event.subject)
  }
  if (statusOf(event)) return state
  switch (event.type) {
    case 'product.launched':
    case 'entity.registered':
      if (inEffect) ownProduct(state.ownership, event)
      break
    case 'price.changed':
      changePrice(state.prices, event, inEffect)
      break
    case 'alliance.formed':
      if (inEffect) formAlliance(state.alliances, event)
      break
    case 'alliance.member_joined':
      if (inEffect) joinAlliance(state.alliances, event)
      break
    case 'alliance.member_left':
      if (inEffect) leaveAlliance(state.alliances, event)
      break
    case 'funding.round_closed':
      if (inEffect) closeRound(state.funding, event)
      break
    case 'metric.reported':
      if (inEffect) reportMetric(state.metrics, event)
      break
    case 'relation.established':
      if (inEffect) establishRelation(state.relations, event)
      break
    case 'relation.ended':
      if (inEffect) endRelation(state.relations, event)
      break
  }
  return state
}

export function snapshotOf(state: SnapshotState): MarketSnapshot {
  return {
    products: productsOf(state.prices, state.productsInEffect, state.names),
    alliances: alliancesOf(state.alliances, state.names),
    companies: companiesOf(state.funding, state.names),
    metrics: metricsOf(state.metrics, state.names),
    relations: relationsOf(state.relations, state.names),
  }
}
