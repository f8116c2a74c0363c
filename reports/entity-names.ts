import type { MarketEntry } from './market-entry.js'

/**
 * Who is who, as the entities read model tells it: the latest naming fact of each slug (an
 * event of a type the catalogue flags `namesEntity`) in recording order, whatever its valid
 * time. Every report shows names from here.
 */
export interface EntityName {
  readonly kind: string
  readonly name: string
  readonly localName: string | null
  readonly owner: string | null
  readonly category: string | null
}

export type EntityNames = Map<string, EntityName>

/** The entity a naming event describes, or undefined for any other event. */
export function entityNameOf(event: MarketEntry): EntityName | undefined {
  switch (event.type) {
    case 'entity.registered': {
      const { kind, name, localName, owner, category } = event.data
      return { kind, name, localName: localName ?? null, owner: owner ?? null, category: category ?? null }
    }
    case 'product.launched': {
      const { name, localName, company, category } = event.data
      return { kind: 'product', name, localName: localName ?? null, owner: company, category }
    }
    case 'alliance.formed': {
      const { name, localName } = event.data
      return { kind: 'alliance', name, localName: localName ?? null, owner: null, category: null }
    }
    default:
      return undefined
  }
}

export function evolveNames(names: EntityNames, event: MarketEntry): EntityNames {
  const entity = entityNameOf(event)
  if (entity) names.set(event.subject, entity)
  return names
}

/** The name of `slug`, or the slug itself when no name is known. */
export function nameOf(names: EntityNames, slug: string): string {
  return names.get(slug)?.name ?? slug
}
