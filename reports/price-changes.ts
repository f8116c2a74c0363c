import { type Static, Type } from 'typebox'
import { catalogue } from '../events/index.js'
import { statusOf } from '../src/catalogue/catalogue.js'
import { percentChange } from '../src/catalogue/decimal.js'
import { byEffectiveTime, defineReport, isoOf, type ReportTable } from '../src/reports/report.js'
import { type EntityNames, evolveNames, nameOf } from './entity-names.js'
import type { MarketEntry } from './market-entry.js'

/**
 * Every price change that took effect between `from` and `to`, as known at `knownAt`, in
 * valid-time order, with the price before it and the change in percent. The price before is
 * the change's own previousAmount when it gives one (as the price-list read model prefers it),
 * else the price of the change before it for the same product and component — which may lie
 * before `from`. A planned or announced change is none of these.
 */

const NullableString = Type.Union([Type.String(), Type.Null()])

const PriceChangeRow = Type.Object({
  product: Type.String(),
  productName: Type.String(),
  company: NullableString,
  component: Type.String(),
  occurredAt: Type.String({ description: 'Valid time as given' }),
  effectiveFrom: Type.String({ format: 'date-time' }),
  oldAmount: Type.Union([Type.String(), Type.Null()], { description: 'null: no earlier price is known' }),
  oldAmountFrom: Type.Union([Type.Literal('previousAmount'), Type.Literal('earlier change'), Type.Null()], {
    description: "Where the old amount comes from: the change's own previousAmount, or the change before it",
  }),
  newAmount: Type.String(),
  currency: Type.String(),
  unit: Type.String(),
  percentChange: Type.Union([Type.String(), Type.Null()], {
    description:
      '(new − old) / old × 100, exact, rounded half away from zero to 2 decimals: "-97.5". ' +
      'null when there is no old amount or it was 0 (free)',
  }),
  eventId: Type.String({ format: 'uuid' }),
})

export const PriceChangesSchema = Type.Object({ changes: Type.Array(PriceChangeRow) })

export type PriceChanges = Static<typeof PriceChangesSchema>

interface Change {
  readonly effectiveAt: number
  readonly position: number
  readonly id: string
  readonly product: string
  readonly component: string
  readonly occurredAt: string
  readonly amount: string
  readonly previousAmount: string | null
  readonly currency: string
  readonly unit: string
}

export interface PriceChangesState {
  readonly from: number
  readonly to: number
  readonly names: EntityNames
  /** Per product and component, the latest change before `from`. */
  readonly before: Map<string, Change>
  /** The changes within the window: the report's rows. */
  readonly changes: Change[]
}

export function initialPriceChanges(from: number | null, to: number | null): PriceChangesState {
  return {
    from: from ?? Number.NEGATIVE_INFINITY,
    to: to ?? Number.POSITIVE_INFINITY,
    names: new Map(),
    before: new Map(),
    changes: [],
  }
}

const keyOf = (c: { product: string; component: string }) => `${c.product}\u0000${c.component}`

export function evolvePriceChanges(state: PriceChangesState, event: MarketEntry): PriceChangesState {
  if (event.type !== 'price.changed') {
    evolveNames(state.names, event)
    return state
  }
  // A planned or announced change took no effect: no row, and no price before a later one.
  if (event.effectiveAt > state.to || statusOf(event)) return state
  const d = event.data
  const change: Change = {
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    product: event.subject,
    component: d.component,
    occurredAt: event.occurredAt,
    amount: d.amount,
    previousAmount: d.previousAmount ?? null,
    currency: d.currency,
    unit: d.unit,
  }
  if (event.effectiveAt >= state.from) {
    state.changes.push(change)
  } else {
    const key = keyOf(change)
    const latest = state.before.get(key)
    if (!latest || event.effectiveAt >= latest.effectiveAt) state.before.set(key, change)
  }
  return state
}

type PriceChangeRow = PriceChanges['changes'][number]

export function priceChangesOf(state: PriceChangesState): PriceChanges {
  const inOrder = [...state.changes].sort(byEffectiveTime)
  const previous = new Map(state.before)
  const rows = new Map<Change, PriceChangeRow>()
  for (const change of inOrder) {
    const key = keyOf(change)
    rows.set(change, rowOf(state.names, change, previous.get(key)))
    previous.set(key, change)
  }
  return { changes: inOrder.map((change) => rows.get(change) as PriceChangeRow) }
}

function rowOf(names: EntityNames, change: Change, earlier: Change | undefined): PriceChangeRow {
  const comparable = earlier && earlier.currency === change.currency && earlier.unit === change.unit
  const oldAmount = change.previousAmount ?? (comparable ? earlier.amount : null)
  return {
    product: change.product,
    productName: nameOf(names, change.product),
    company: names.get(change.product)?.owner ?? null,
    component: change.component,
    occurredAt: change.occurredAt,
    effectiveFrom: isoOf(change.effectiveAt),
    oldAmount,
    oldAmountFrom: change.previousAmount !== null ? 'previousAmount' : comparable ? 'earlier change' : null,
    newAmount: change.amount,
    currency: change.currency,
    unit: change.unit,
    percentChange: oldAmount === null ? null : percentChange(oldAmount, change.amount),
    eventId: change.id,
  }
}

function priceChangeTables(result: PriceChanges): ReportTable[] {
  return [
    {
      name: 'changes',
      title: 'Price changes',
      columns: [
        { key: 'effectiveFrom', title: 'In effect from' },
        { key: 'occurredAt', title: 'Date given' },
        { key: 'product', title: 'Product' },
        { key: 'productName', title: 'Name' },
        { key: 'company', title: 'Company' },
        { key: 'component', title: 'Component' },
        { key: 'oldAmount', title: 'Old', align: 'right' },
        { key: 'newAmount', title: 'New', align: 'right' },
        { key: 'currency', title: 'Currency' },
        { key: 'unit', title: 'Unit' },
        { key: 'percentChange', title: 'Change %', align: 'right' },
        { key: 'oldAmountFrom', title: 'Old amount from' },
        { key: 'eventId', title: 'Event' },
      ],
      rows: result.changes,
    },
  ]
}

export const priceChanges = defineReport<PriceChangesState, PriceChanges, MarketEntry>({
  name: 'price-changes',
  title: 'Price changes',
  description:
    'Every price change that took effect from `from` to `to` (valid time), as known at knownAt, with the ' +
    "old and new amount and the change in percent. The old amount is the change's previousAmount, else the " +
    'price of the change before it.',
  period: 'window',
  eventTypes: [...catalogue.namingTypes(), 'price.changed'],
  resultSchema: PriceChangesSchema,
  initialState: (parameters) => initialPriceChanges(parameters.from, parameters.to),
  evolve: evolvePriceChanges,
  result: priceChangesOf,
  tables: priceChangeTables,
})
