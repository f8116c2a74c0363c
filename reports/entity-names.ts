import type { LogEntry } from '../src/reports/report.js'

/**
 * Who is who, as the entities read model tells it: the latest naming fact of each slug
 * (entity.registered, product.launched, alliance.formed) in recording order, whatever its
 * valid time. Every report shows names from here.
 */
export interface EntityName {
  readonly kind: string
  readonly name: string
  readonly localName: string | null
  readonly owner: string | null
  readonly category: string | null
}

export type EntityNames = Map<string, EntityName>

export const namingEventTypes = ['entity.registered', 'product.launched', 'alliance.formed'] as const

interface NamingData {
  kind?: string
  name?: string
  localName?: string
  owner?: string
  company?: string
  category?: string
}

/** The entity a naming event describes, or undefined for any other event. */
export function entityNameOf(event: LogEntry): EntityName | undefined {
  const d = event.data as NamingData
  const base = { name: d.name ?? event.subject, localName: d.localName ?? null }
  switch (event.type) {
    case 'entity.registered':
      return { ...base, kind: d.kind ?? 'company', owner: d.owner ?? null, category: d.category ?? null }
    case 'product.launched':
      return { ...base, kind: 'product', owner: d.company ?? null, category: d.category ?? null }
    case 'alliance.formed':
      return { ...base, kind: 'alliance', owner: null, category: null }
    default:
      return undefined
  }
}

export function evolveNames(names: EntityNames, event: LogEntry): EntityNames {
  const entity = entityNameOf(event)
  if (entity) names.set(event.subject, entity)
  return names
}

/** The name of `slug`, or the slug itself when no name is known. */
export function nameOf(names: EntityNames, slug: string): string {
  return names.get(slug)?.name ?? slug
}
