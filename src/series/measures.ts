import type { Kysely } from 'kysely'
import { allianceMemberSeries } from '../../projections/alliance-membership/series.js'
import { fundingRaisedSeries } from '../../projections/funding-series.js'
import { metricSeries } from '../../projections/metrics/series.js'
import { priceSeries } from '../../projections/price-list/series.js'
import type { Database } from '../db/schema.js'
import { InvalidInput } from '../errors.js'
import type { Knowledge } from '../projector/change-points.js'

export const measureNames = ['price', 'alliance-members', 'funding-raised', 'metric'] as const
export type MeasureName = (typeof measureNames)[number]

/** The query-string parameters that say what a measure is of. */
export const seriesKeyNames = [
  'product',
  'component',
  'alliance',
  'company',
  'subject',
  'metric',
  'forPeriod',
] as const
export type SeriesKeyName = (typeof seriesKeyNames)[number]
export type SeriesKeys = Partial<Readonly<Record<SeriesKeyName, string>>>

/** A point's value: an amount or a figure (null: none), a count, or sums by currency. */
export type SeriesValue = string | number | null | Readonly<Record<string, string>>

/**
 * A measure read at many instants in one statement, beside its read model's own as-of read: each
 * value is what that read answers at its instant.
 */
export interface Measure {
  /** The parameters it needs, which the answer echoes. */
  readonly keys: readonly SeriesKeyName[]
  /** The parameters it also takes, echoed when given. */
  readonly optionalKeys: readonly SeriesKeyName[]
  /** The read models its values come from: `consistentWith` waits for them. */
  readonly readModels: readonly string[]
  read(
    db: Kysely<Database>,
    keys: Readonly<Record<SeriesKeyName, string>>,
    instants: readonly Date[],
    knowledge: Knowledge,
  ): Promise<SeriesValue[]>
}

export const measures: Readonly<Record<MeasureName, Measure>> = {
  price: {
    keys: ['product', 'component'],
    optionalKeys: [],
    readModels: ['price-list'],
    read: (db, keys, instants, knowledge) => priceSeries(db, keys, instants, knowledge),
  },
  'alliance-members': {
    keys: ['alliance'],
    optionalKeys: [],
    readModels: ['alliance-membership'],
    read: (db, keys, instants, knowledge) => allianceMemberSeries(db, keys, instants, knowledge),
  },
  'funding-raised': {
    keys: ['company'],
    optionalKeys: [],
    readModels: ['funding'],
    read: (db, keys, instants, knowledge) => fundingRaisedSeries(db, keys, instants, knowledge),
  },
  metric: {
    keys: ['subject', 'metric'],
    optionalKeys: ['forPeriod'],
    readModels: ['metrics'],
    read: (db, keys, instants, knowledge) => metricSeries(db, keys, instants, knowledge),
  },
}

/** The keys `measure` takes, from those given: an InvalidInput naming each one it needs and lacks. */
export function keysOf(measure: Measure, given: SeriesKeys): Partial<Record<SeriesKeyName, string>> {
  const missing = measure.keys.filter((name) => given[name] === undefined)
  if (missing.length > 0) {
    throw new InvalidInput(
      `this measure needs ${missing.map((name) => `/${name}`).join(' and ')}`,
      missing.map((name) => ({ path: `/${name}`, message: 'required by this measure' })),
    )
  }
  const names = [...measure.keys, ...measure.optionalKeys]
  return Object.fromEntries(names.flatMap((name) => (given[name] === undefined ? [] : [[name, given[name]]])))
}
