import type { ComparableRow, DiffModel, DiffScope } from '../../src/diff/model.js'
import { alliancesOf, memberEventsOf } from '../market-snapshot/alliances.js'
import type { SnapshotState } from '../market-snapshot/fold.js'
import { companiesOf, roundsOf } from '../market-snapshot/funding.js'
import { metricsOf } from '../market-snapshot/metrics.js'
import { productsOf } from '../market-snapshot/prices.js'
import { ownedProductsOf } from '../market-snapshot/products.js'
import { relationsOf } from '../market-snapshot/relations.js'

/**
 * A replayed state's rows, model by model, as each read model's comparable reads its own (see
 * each projection's `comparables.ts`): the same rows, keys, scopes and events behind each row.
 */
export type ModelRows = Readonly<Record<DiffModel, readonly ComparableRow[]>>

export function modelRowsOf(state: SnapshotState, scope: DiffScope): ModelRows {
  return {
    price: priceRows(state, scope),
    alliance: allianceRows(state, scope),
    'alliance-member': memberRows(state, scope),
    'funding-round': roundRows(state, scope),
    valuation: valuationRows(state, scope),
    product: productRows(state, scope),
    relation: relationRows(state, scope),
    metric: metricRows(state, scope),
  }
}

function priceRows(state: SnapshotState, { company, product, alliance }: DiffScope): ComparableRow[] {
  if (alliance !== undefined) return []
  return productsOf(state.prices, state.productsInEffect, state.names)
    .filter(
      (p) =>
        (product === undefined || p.product === product) && (company === undefined || p.company === company),
    )
    .flatMap((p) =>
      p.prices.map((price) => ({
        key: { product: p.product, component: price.component },
        row: { product: p.product, productName: p.name, company: p.company, ...price },
        eventIds: [price.eventId],
      })),
    )
}

/** An alliance in scope: every one, the one asked, or those a company convenes; none for a product. */
function alliancesInScope(state: SnapshotState, { product, alliance }: DiffScope) {
  if (product !== undefined) return []
  const all = alliancesOf(state.alliances, state.names)
  return alliance === undefined ? all : all.filter((a) => a.alliance === alliance)
}

function allianceRows(state: SnapshotState, scope: DiffScope): ComparableRow[] {
  return alliancesInScope(state, scope)
    .filter((a) => scope.company === undefined || a.conveners.includes(scope.company))
    .map(({ members: _members, ...alliance }) => ({
      key: { alliance: alliance.alliance },
      row: alliance,
      eventIds: [alliance.eventId],
    }))
}

function memberRows(state: SnapshotState, scope: DiffScope): ComparableRow[] {
  const events = memberEventsOf(state.alliances)
  return alliancesInScope(state, scope).flatMap((a) =>
    a.members
      .filter((m) => scope.company === undefined || m.member === scope.company)
      .map((m) => ({
        key: { alliance: a.alliance, member: m.member },
        row: { alliance: a.alliance, ...m },
        eventIds: events.get(`${a.alliance}\n${m.member}`) ?? [a.eventId],
      })),
  )
}

function roundRows(state: SnapshotState, { company, product, alliance }: DiffScope): ComparableRow[] {
  if (product !== undefined || alliance !== undefined) return []
  return roundsOf(state.funding, state.names, company).map((round) => ({
    key: { company: round.company, eventId: round.eventId },
    row: round,
    eventIds: [round.eventId],
  }))
}

function valuationRows(state: SnapshotState, { company, product, alliance }: DiffScope): ComparableRow[] {
  if (product !== undefined || alliance !== undefined) return []
  return companiesOf(state.funding, state.names).flatMap((c) => {
    const valuation = c.latestValuation
    if (!valuation || (company !== undefined && c.company !== company)) return []
    return [{ key: { company: c.company }, row: valuation, eventIds: [valuation.eventId] }]
  })
}

function productRows(state: SnapshotState, { company, product, alliance }: DiffScope): ComparableRow[] {
  if (alliance !== undefined) return []
  return ownedProductsOf(state.ownership, state.names)
    .filter(
      (p) =>
        (company === undefined || p.company === company) &&
        (product === undefined || p.product.product === product),
    )
    .map((p) => ({
      key: { product: p.product.product },
      row: { company: p.company, ...p.product },
      eventIds: p.eventIds,
    }))
}

function relationRows(state: SnapshotState, { company, product, alliance }: DiffScope): ComparableRow[] {
  if (alliance !== undefined) return []
  const subject = company ?? product
  return relationsOf(state.relations, state.names)
    .filter((r) => subject === undefined || r.from === subject || r.to === subject)
    .map((relation) => ({
      key: { from: relation.from, to: relation.to, kind: relation.kind },
      row: relation,
      eventIds: [relation.eventId],
    }))
}

function metricRows(state: SnapshotState, { company, product, alliance }: DiffScope): ComparableRow[] {
  const subject = company ?? product ?? alliance
  return metricsOf(state.metrics, state.names)
    .filter((m) => subject === undefined || m.entity === subject)
    .map((metric) => ({
      key: { entity: metric.entity, metric: metric.metric, forPeriod: metric.forPeriod },
      row: metric,
      eventIds: [metric.eventId],
    }))
}
