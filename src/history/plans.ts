import type { DiffModel, RowKey } from '../diff/model.js'
import type { SubjectFact } from './facts.js'

/** Where a planned or announced fact would land, and the row as the plan states it. */
export interface PlanTarget {
  readonly model: DiffModel
  readonly key: RowKey
  /** The row as the plan states it, from the row in effect (or a row of the same product). */
  after(base: unknown): unknown
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)

/**
 * The row a plan concerns. A planned price reads as a price row, the plan's amount over the row in
 * effect; no model answers the other plans as rows, so their `after` is the plan's data as stated.
 * A planned partnership concerns no model of the history.
 */
export function planTargetOf(subject: string, fact: SubjectFact): PlanTarget | undefined {
  const { data } = fact
  const asStated = () => data
  switch (fact.type) {
    case 'price.changed': {
      const component = text(data.component)
      return {
        model: 'price',
        key: { product: subject, component },
        after: (base) => ({
          ...(typeof base === 'object' && base !== null ? base : { product: subject }),
          component,
          amount: data.amount,
          currency: data.currency,
          unit: data.unit,
          effectiveFrom: fact.effectiveFrom.toISOString(),
          eventId: fact.id,
        }),
      }
    }
    case 'product.launched':
    case 'product.updated':
      return { model: 'product', key: { product: subject }, after: asStated }
    case 'alliance.formed':
      return { model: 'alliance', key: { alliance: subject }, after: asStated }
    case 'relation.established':
      return {
        model: 'relation',
        key: { from: subject, to: text(data.to), kind: text(data.kind) },
        after: asStated,
      }
    default:
      return undefined
  }
}
