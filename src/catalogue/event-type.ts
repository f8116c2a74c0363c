import type { Static, TSchema } from 'typebox'
import type { Precision } from '../time/market-date.js'

export interface EventSource {
  readonly publisher: string
  readonly title?: string
  readonly author?: string
  readonly publishedAt?: string
  readonly url?: string
  readonly quote?: string
  readonly note?: string
}

/** An event as stored: the writer's fields plus what the store derived and assigned. */
export interface RecordedEvent<Data = unknown, Type extends string = string> {
  readonly id: string
  readonly type: Type
  readonly subject: string
  readonly occurredAt: string
  readonly precision: Precision
  readonly effectiveFrom: string
  readonly recordedAt: string
  readonly position: number
  readonly version: number
  readonly data: Data
  readonly source?: EventSource
}

/** Names of entities, for human summaries. Unknown slugs read as themselves. */
export interface NameLookup {
  name(slug: string): string
  /** The company that owns a product, when known. */
  owner(slug: string): string | undefined
}

export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>

/** One type of fact: its data schema, a one-line summary, and how its older versions are read. */
export interface EventType<Name extends string = string, Schema extends TSchema = TSchema> {
  readonly type: Name
  /** What the event's subject is, for the catalogue's documentation. */
  readonly subject: string
  readonly description: string
  /** Version of `schema`; events stored under an older version are upcast when read. */
  readonly schemaVersion: number
  readonly schema: Schema
  /** `upcasters[n]` turns data of schema version n into version n + 1. */
  readonly upcasters: Readonly<Record<number, Upcaster>>
  /**
   * Registers or renames an entity: the entities read model and every report take names from
   * these. A retraction is not one, though retracting one of these changes names.
   */
  readonly namesEntity: boolean
  /**
   * Reference data (who exists), not a fact of the market's history: the timeline leaves it out
   * unless it is asked for.
   */
  readonly reference: boolean
  summary(event: RecordedEvent<Static<Schema>>, names: NameLookup): string
}

export function defineEventType<const Name extends string, Schema extends TSchema>(
  definition: Omit<EventType<Name, Schema>, 'schemaVersion' | 'upcasters' | 'namesEntity' | 'reference'> & {
    readonly schemaVersion?: number
    readonly upcasters?: Readonly<Record<number, Upcaster>>
    readonly namesEntity?: boolean
    readonly reference?: boolean
  },
): EventType<Name, Schema> {
  return { schemaVersion: 1, upcasters: {}, namesEntity: false, reference: false, ...definition }
}

/**
 * The recorded events of the given event types, one branch per type: `switch (event.type)`
 * narrows `data` to that type's schema.
 */
export type EventOf<T extends EventType> = T extends EventType
  ? RecordedEvent<Static<T['schema']>, T['type']>
  : never
