import { type Static, Type } from 'typebox'
import { AllianceSchema } from '../../projections/alliance-membership/schemas.js'
import { LatestValuationSchema } from '../../projections/company-profile/schemas.js'
import { RelationSchema } from '../../projections/relations/schemas.js'
import { Instant, NullableString } from '../../src/queries/answer-fields.js'

/** The market snapshot's answer: its products, alliances, companies and metrics. */

const SnapshotProduct = Type.Object({
  product: Type.String(),
  name: Type.String(),
  localName: NullableString,
  company: NullableString,
  category: NullableString,
  prices: Type.Array(
    Type.Object({
      component: Type.String(),
      amount: Type.String(),
      currency: Type.String(),
      unit: Type.String(),
      effectiveFrom: Type.Union([Instant, Type.Null()], {
        description: "null: in effect since a date the sources do not give (a later change's previousAmount)",
      }),
      eventId: Type.String({ format: 'uuid' }),
    }),
  ),
})

const SnapshotCompany = Type.Object({
  company: Type.String(),
  name: Type.String(),
  localName: NullableString,
  fundingRounds: Type.Integer({ description: 'Rounds in effect at asOf' }),
  fundingTotals: Type.Array(Type.Object({ currency: Type.String(), amount: Type.String() }), {
    description: 'Sum of the disclosed round amounts, per currency',
  }),
  latestValuation: Type.Union([LatestValuationSchema, Type.Null()]),
})

const SnapshotMetric = Type.Object({
  entity: Type.String(),
  entityName: Type.String(),
  metric: Type.String(),
  value: Type.String(),
  unit: NullableString,
  qualifier: NullableString,
  forPeriod: NullableString,
  reportedBy: NullableString,
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid' }),
})

export const MarketSnapshotSchema = Type.Object({
  products: Type.Array(SnapshotProduct),
  // Each alliance is what GET /v1/alliances answers for it: one schema for both.
  alliances: Type.Array(AllianceSchema),
  companies: Type.Array(SnapshotCompany),
  metrics: Type.Array(SnapshotMetric, {
    description: 'The latest figure per entity, metric and period (forPeriod) in effect at asOf',
  }),
  // Each relation is what GET /v1/relations answers for it: one schema for both.
  relations: Type.Array(RelationSchema, {
    description: 'Relations in effect at asOf, in valid-time order of since',
  }),
})

export type MarketSnapshot = Static<typeof MarketSnapshotSchema>
