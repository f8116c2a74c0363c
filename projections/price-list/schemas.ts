import { type Static, Type } from 'typebox'
import { Instant, NullableStatus, NullableString } from '../../src/queries/answer-fields.js'

/** The answers of the price list: a price in effect, and a change in a product's history. */

export const PriceInEffectSchema = Type.Object({
  product: Type.String(),
  productName: Type.String(),
  company: NullableString,
  component: Type.String(),
  amount: Type.String(),
  currency: Type.String(),
  unit: Type.String(),
  effectiveFrom: Type.Union([Instant, Type.Null()], {
    description: 'null: in effect since a date the sources do not give (known from a later previousAmount)',
  }),
  eventId: Type.String({ format: 'uuid' }),
})
export type PriceInEffect = Static<typeof PriceInEffectSchema>

export const PriceChangeSchema = Type.Object({
  component: Type.String(),
  amount: Type.String(),
  previousAmount: NullableString,
  currency: Type.String(),
  unit: Type.String(),
  occurredAt: Type.String(),
  precision: Type.String(),
  effectiveFrom: Instant,
  recordedAt: Instant,
  eventId: Type.String({ format: 'uuid' }),
  position: Type.Integer(),
  status: Type.Union(NullableStatus.anyOf, {
    description:
      'planned or announced: a change that is not in effect and counts in no price list; null: in effect',
  }),
})
export type PriceChange = Static<typeof PriceChangeSchema>
