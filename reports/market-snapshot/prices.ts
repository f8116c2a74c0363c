import { bySlug, isoOf } from '../../src/reports/report.js'
import { type EntityNames, nameOf } from '../entity-names.js'
import type { EntryOf } from '../market-entry.js'
import { entryOf, type Point } from './point.js'
import type { MarketSnapshot } from './schema.js'

interface PricePoint extends Point {
  readonly amount: string
  readonly previousAmount: string | null
  readonly currency: string
  readonly unit: string
}

/** The latest change in effect at asOf, and the first one after it (whose previousAmount may say more). */
interface PriceSlots {
  current: PricePoint | null
  next: PricePoint | null
}

/** product → component → slots. */
export type Prices = Map<string, Map<string, PriceSlots>>

/** Events come in position order, so on a tie in valid time the later one wins by arriving later. */
export function changePrice(prices: Prices, event: EntryOf<'price.changed'>, inEffect: boolean): void {
  const d = event.data
  const components = entryOf(prices, event.subject, () => new Map<string, PriceSlots>())
  const slots = entryOf(components, d.component, (): PriceSlots => ({ current: null, next: null }))
  const point: PricePoint = {
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    amount: d.amount,
    previousAmount: d.previousAmount ?? null,
    currency: d.currency,
    unit: d.unit,
  }
  if (inEffect) {
    if (!slots.current || event.effectiveAt >= slots.current.effectiveAt) slots.current = point
  } else if (!slots.next || event.effectiveAt < slots.next.effectiveAt) {
    slots.next = point
  }
}

type SnapshotPrice = MarketSnapshot['products'][number]['prices'][number]

/** As the price-list read model: a later change's previousAmount overrides a different (or no) current price. */
function priceInEffect(component: string, { current, next }: PriceSlots): SnapshotPrice | undefined {
  if (next?.previousAmount != null && (!current || current.amount !== next.previousAmount)) {
    const { currency, unit, id } = next
    return { component, amount: next.previousAmount, currency, unit, effectiveFrom: null, eventId: id }
  }
  if (!current) return undefined
  const { amount, currency, unit, id } = current
  return { component, amount, currency, unit, effectiveFrom: isoOf(current.effectiveAt), eventId: id }
}

/** Products named by a fact in effect at asOf, and products with a price then, by slug. */
export function productsOf(
  prices: Prices,
  productsInEffect: ReadonlySet<string>,
  names: EntityNames,
): MarketSnapshot['products'] {
  const pricesOf = (product: string): SnapshotPrice[] =>
    [...(prices.get(product) ?? [])]
      .sort(([a], [b]) => bySlug(a, b))
      .flatMap(([component, slots]) => priceInEffect(component, slots) ?? [])
  const named = [...productsInEffect].filter((slug) => names.get(slug)?.kind === 'product')
  const priced = [...prices.keys()].filter((slug) => pricesOf(slug).length > 0)
  return [...new Set([...named, ...priced])].sort(bySlug).map((product) => {
    const entity = names.get(product)
    return {
      product,
      name: nameOf(names, product),
      localName: entity?.localName ?? null,
      company: entity?.owner ?? null,
      category: entity?.category ?? null,
      prices: pricesOf(product),
    }
  })
}
