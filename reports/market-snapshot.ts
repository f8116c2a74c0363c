import { type Static, Type } from 'typebox'
import { catalogue } from '../events/index.js'
import { AllianceSchema } from '../projections/alliance-membership/schemas.js'
import { LatestValuationSchema } from '../projections/company-profile/schemas.js'
import { defineReport } from '../src/reports/report.js'
import type { MarketEntry } from './market-entry.js'
import { evolveSnapshot, initialSnapshot, type SnapshotState, snapshotOf } from './market-snapshot/fold.js'
import { snapshotTables } from './market-snapshot/tables.js'

/**
 * The whole market as of a date, as known at a date: every product with its prices, every
 * alliance with its members, every company with its funding totals and latest valuation, and
 * the metrics in effect. Each part answers as its read model does (price-list,
 * alliance-membership, company-profile), and a property test holds them to it. Each section's
 * fold is a file of `market-snapshot/`; this file holds the result's schema and the report.
 */

const Instant = Type.String({ format: 'date-time' })
const NullableString = Type.Union([Type.String(), Type.Null()])

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
})

export type MarketSnapshot = Static<typeof MarketSnapshotSchema>

export { evolveSnapshot, initialSnapshot, type SnapshotState, snapshotOf }

export const marketSnapshot = defineReport<SnapshotState, MarketSnapshot, MarketEntry>({
  name: 'market-snapshot',
  title: 'Market snapshot',
  description:
    'The whole market as of asOf, as known at knownAt: every product with its prices, every alliance with ' +
    'its members, every company with its funding totals by currency and latest valuation, and the metrics ' +
    'in effect. Agrees with the read models for the same asOf and knownAt.',
  period: 'as-of',
  eventTypes: [
    ...catalogue.namingTypes(),
    'price.changed',
    'alliance.member_joined',
    'alliance.member_left',
    'funding.round_closed',
    'metric.reported',
  ],
  resultSchema: MarketSnapshotSchema,
  initialState: (parameters) => initialSnapshot(parameters.asOf),
  evolve: evolveSnapshot,
  result: snapshotOf,
  tables: snapshotTables,
})
