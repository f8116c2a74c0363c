import type { OwnedProduct } from '../../projections/company-profile/market.js'
import { isoOf } from '../../src/reports/report.js'
import type { EntityNames } from '../entity-names.js'
import type { EntryOf } from '../market-entry.js'
import { entryOf, type Point } from './point.js'

interface Owner extends Point {
  readonly company: string
  readonly name: string
  readonly localName: string | null
  readonly category: string | null
}

interface ProductOwnership {
  /** The latest ownership change in effect: a launch, or a registration with an owner. */
  owner: Owner | null
  /** Per company, its latest launch of the product in effect. */
  readonly launches: Map<string, Point>
}

/** product → who owns it, as the company-profile read model keeps it. */
export type Ownership = Map<string, ProductOwnership>

/** Events come in position order, so on a tie in valid time the later one wins by arriving later. */
export function ownProduct(
  ownership: Ownership,
  event: EntryOf<'product.launched'> | EntryOf<'entity.registered'>,
): void {
  const d = event.data
  const company = event.type === 'product.launched' ? event.data.company : event.data.owner
  if (company === undefined || (event.type === 'entity.registered' && event.data.kind !== 'product')) return
  const product = entryOf(
    ownership,
    event.subject,
    (): ProductOwnership => ({ owner: null, launches: new Map() }),
  )
  const at = { effectiveAt: event.effectiveAt, position: event.position, id: event.id }
  if (!product.owner || event.effectiveAt >= product.owner.effectiveAt) {
    product.owner = {
      ...at,
      company,
      name: d.name,
      localName: d.localName ?? null,
      category: d.category ?? null,
    }
  }
  if (event.type !== 'product.launched') return
  const launch = product.launches.get(company)
  if (!launch || event.effectiveAt >= launch.effectiveAt) product.launches.set(company, at)
}

/**
 * Each product with the company its latest ownership change names, as a company profile lists it:
 * its name as known (else the ownership's), `since` that company's latest launch of it.
 */
export function ownedProductsOf(ownership: Ownership, names: EntityNames): OwnedProduct[] {
  return [...ownership].flatMap(([product, { owner, launches }]) => {
    if (!owner) return []
    const entity = names.get(product)
    const launch = launches.get(owner.company)
    return [
      {
        company: owner.company,
        product: {
          product,
          name: entity?.name ?? owner.name,
          localName: entity ? entity.localName : owner.localName,
          category: owner.category,
          since: launch ? isoOf(launch.effectiveAt) : null,
        },
        eventIds: launch && launch.id !== owner.id ? [owner.id, launch.id] : [owner.id],
      },
    ]
  })
}
