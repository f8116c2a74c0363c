import type { Comparable, ComparableRow } from '../../src/diff/model.js'
import { productPricesAtPoints } from './history.js'
import { priceListAsOf } from './read.js'
import type { PriceInEffect } from './schemas.js'

/** Prices in effect, as `GET /v1/prices` answers them: the market's, a company's, or one product's. */
export const priceComparable: Comparable = {
  model: 'price',
  readModels: ['price-list', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (alliance !== undefined) return []
    const prices = await priceListAsOf(db, { ...at, company, product })
    return prices.map(comparablePrice)
  },
  async rowsAtPoints(db, points, { company, product, alliance }) {
    if (alliance !== undefined) return points.map(() => [])
    if (product === undefined || company !== undefined) return undefined
    return (await productPricesAtPoints(db, points, product)).map((prices) => prices.map(comparablePrice))
  },
}

function comparablePrice(price: PriceInEffect): ComparableRow {
  return {
    key: { product: price.product, component: price.component },
    row: price,
    eventIds: [price.eventId],
  }
}
