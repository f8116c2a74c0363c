import type { EventType, NameLookup, RecordedEvent } from './event-type.js'
import { type FactStatus, factStatuses } from './fields.js'

export class UnknownEventType extends Error {}

/** Type patterns accepted by filters: an exact type, `family.*`, or `*`. */
export const typePatternRegex = '^(\\*|[a-z][a-z0-9_]*\\.(\\*|[a-z][a-z0-9_]*))$'

/** The vocabulary the service accepts: every event type, looked up by name. */
export class Catalogue<Types extends EventType = EventType> {
  private readonly byName: ReadonlyMap<string, Types>

  constructor(readonly types: readonly Types[]) {
    this.byName = new Map(types.map((t) => [t.type, t]))
  }

  get(type: string): Types | undefined {
    return this.byName.get(type)
  }

  /** The types whose events register or rename an entity, in catalogue order. */
  namingTypes(): Types['type'][] {
    return this.types.filter((t) => t.namesEntity).map((t) => t.type)
  }

  /** Data stored under an older schema version, brought up to the current one. Never written back. */
  upcast(type: string, schemaVersion: number, data: unknown): unknown {
    const eventType = this.byName.get(type)
    if (!eventType) throw new UnknownEventType(`no event type '${type}' in the catalogue`)
    let current = data as Record<string, unknown>
    for (let version = schemaVersion; version < eventType.schemaVersion; version++) {
      const upcaster = eventType.upcasters[version]
      if (!upcaster) throw new UnknownEventType(`${type} has no upcaster from schema version ${version}`)
      current = upcaster(current)
    }
    return current
  }

  /** The types that are reference data (`EventType.reference`), in catalogue order. */
  referenceTypes(): Types['type'][] {
    return this.types.filter((t) => t.reference).map((t) => t.type)
  }

  /** A one-line summary; a planned or announced fact says so first ("Planned: …"). */
  summary(event: RecordedEvent, names: NameLookup): string {
    const eventType = this.byName.get(event.type)
    const text = eventType ? eventType.summary(event as never, names) : `${event.type} ${event.subject}`
    const status = statusOf(event)
    return status ? `${status === 'planned' ? 'Planned' : 'Announced'}: ${text}` : text
  }

  /** The catalogue's type names matched by `pattern` (`price.*`, `*`, or an exact name). */
  typesMatching(pattern: string): string[] {
    if (pattern === '*') return [...this.byName.keys()]
    if (pattern.endsWith('.*')) {
      const family = pattern.slice(0, -1)
      return [...this.byName.keys()].filter((name) => name.startsWith(family))
    }
    return this.byName.has(pattern) ? [pattern] : []
  }
}

/** A fact's `status` (planned, announced), or undefined when it is in effect. */
export function statusOf(event: { readonly data: unknown }): FactStatus | undefined {
  const status = (event.data as { status?: unknown } | null)?.status
  return factStatuses.find((value) => value === status)
}
