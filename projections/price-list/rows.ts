import type { FactStatus } from '../../src/catalogue/fields.js'
import type { ChangePoint } from '../../src/projector/change-points.js'

/**
 * Prices per product and component, as change points from price.changed. A change's
 * previousAmount also tells the price in effect before it, since an unknown date.
 */
export interface PricePoint extends ChangePoint {
  product: string
  component: string
  amount: string
  currency: string
  unit: string
  previous_amount: string | null
  occurred_at: string
  precision: string
}

/** A planned or announced change: in the product's history with its status, in no price list. */
export interface PricePlan extends PricePoint {
  status: FactStatus
}

export interface Tables {
  price_points: PricePoint
  price_keys: { product: string; component: string }
  price_plans: PricePlan
}
