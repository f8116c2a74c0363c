import type { Comparable, ComparableRow } from '../../src/diff/model.js'
import type { FundingRound } from '../funding.js'
import { roundsAtPoints } from '../funding-history.js'
import { productAtPoints } from './history.js'
import {
  type CompanyValuation,
  type OwnedProduct,
  productsAsOf,
  valuationsAsOf,
  valuationsOf,
} from './market.js'

/** A company's latest valuation, as its profile's `latestValuation` answers it. */
export const valuationComparable: Comparable = {
  model: 'valuation',
  readModels: ['funding', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (product !== undefined || alliance !== undefined) return []
    const valuations = await valuationsAsOf(db, { ...at, company })
    return valuations.map(comparableValuation)
  },
  async rowsAtPoints(db, points, { company, product, alliance }, shared) {
    if (product !== undefined || alliance !== undefined) return points.map(() => [])
    const atPoints = await roundsAtPoints(db, points, company, shared)
    if (company === undefined)
      return atPoints.map(({ rounds, count }) =>
        valuationsOf(rounds.slice(0, count)).map(comparableValuation),
      )
    const states = new Map<readonly FundingRound[], ComparableRow[][]>()
    const rowsOf = new Map<FundingRound, ComparableRow[]>()
    return atPoints.map(({ rounds, count }) => {
      const ofRounds = states.get(rounds) ?? valuationStates(rounds, rowsOf)
      states.set(rounds, ofRounds)
      return ofRounds[count] as ComparableRow[]
    })
  },
}

/**
 * One company's valuation rows after each count of its rounds (0 to all): the latest valued round's,
 * as `valuationsOf` gives it, one array shared while that round stays the latest (and, through
 * `rowsOf`, by every list of rounds it is in).
 */
function valuationStates(
  rounds: readonly FundingRound[],
  rowsOf: Map<FundingRound, ComparableRow[]>,
): ComparableRow[][] {
  let current: ComparableRow[] = []
  const states = [current]
  for (const round of rounds) {
    if (round.valuation !== null) {
      current = rowsOf.get(round) ?? valuationsOf([round]).map(comparableValuation)
      rowsOf.set(round, current)
    }
    states.push(current)
  }
  return states
}

function comparableValuation({ company, valuation }: CompanyValuation): ComparableRow {
  return { key: { company }, row: valuation, eventIds: [valuation.eventId] }
}

/** A product, as its owner's profile lists it, with the owner: `{ company, ...product }`. */
export const productComparable: Comparable = {
  model: 'product',
  readModels: ['company-profile', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (alliance !== undefined) return []
    const products = await productsAsOf(db, { ...at, company, product })
    return products.map(comparableProduct)
  },
  async rowsAtPoints(db, points, { company, product, alliance }) {
    if (alliance !== undefined) return points.map(() => [])
    if (product === undefined || company !== undefined) return undefined
    return (await productAtPoints(db, points, product)).map((products) => products.map(comparableProduct))
  },
}

function comparableProduct(p: OwnedProduct): ComparableRow {
  return {
    key: { product: p.product.product },
    row: { company: p.company, ...p.product },
    eventIds: p.eventIds,
  }
}
