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
export interface RecordedEvent<Data = unknown> {
  readonly id: string
  readonly type: string
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
  summary(event: RecordedEvent<Static<Schema>>, names: NameLookup): string
}

export function defineEventType<const Name extends string, Schema extends TSchema>(
  definition: Omit<EventType<Name, Schema>, 'schemaVersion' | 'upcasters'> & {
    readonly schemaVersion?: number
    readonly upcasters?: Readonly<Record<number, Upcaster>>
  },
): EventType<Name, Schema> {
  return { schemaVersion: 1, upcasters: {}, ...definition }
}
