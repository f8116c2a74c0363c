import { catalogue } from '../events/index.js'
import { defineReport } from '../src/reports/report.js'
import type { MarketEntry } from './market-entry.js'
import { evolveSnapshot, initialSnapshot, type SnapshotState, snapshotOf } from './market-snapshot/fold.js'
import { type MarketSnapshot, MarketSnapshotSchema } from './market-snapshot/schema.js'
import { snapshotTables } from './market-snapshot/tables.js'

/**
 * The whole market as of a date, as known at a date: every product with its prices, every
 * alliance with its members, every company with its funding totals and latest valuation, and
 * the metrics and relations in effect. Each part answers as its read model does (price-list,
 * alliance-membership, company-profile, relations), and a property test holds them to it. Each section's
 * fold is a file of `market-snapshot/`, and so is the result's schema; this file is the report.
 */

export {
  evolveSnapshot,
  initialSnapshot,
  type MarketSnapshot,
  MarketSnapshotSchema,
  type SnapshotState,
  snapshotOf,
}

export const marketSnapshot = defineReport<SnapshotState, MarketSnapshot, MarketEntry>({
  name: 'market-snapshot',
  title: 'Market snapshot',
  description:
    'The whole market as of asOf, as known at knownAt: every product with its prices, every alliance with ' +
    'its members, every company with its funding totals by currency and latest valuation, and the metrics ' +
    'in effect, and the relations between entities in effect. Agrees with the read models for the same asOf and ' +
    'knownAt.',
  period: 'as-of',
  eventTypes: [
    ...catalogue.namingTypes(),
    'price.changed',
    'alliance.member_joined',
    'alliance.member_left',
    'funding.round_closed',
    'metric.reported',
    'relation.established',
    'relation.ended',
  ],
  resultSchema: MarketSnapshotSchema,
  initialState: (parameters) => initialSnapshot(parameters.asOf),
  evolve: evolveSnapshot,
  result: snapshotOf,
  tables: snapshotTables,
})
