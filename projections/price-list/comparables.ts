import type { Comparable } from '../../src/diff/model.js'
import { priceListAsOf } from './read.js'

/** Prices in effect, as `GET /v1/prices` answers them: the market's, a company's, or one product's. */
export const priceComparable: Comparable = {
  model: 'price',
  readModels: ['price-list', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (alliance !== undefined) return []
    const prices = await priceListAsOf(db, { ...at, company, product })
    return prices.map((price) => ({
      key: { product: price.product, component: price.component },
      row: price,
      eventIds: [price.eventId],
    }))
  },
}
