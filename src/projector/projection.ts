import type { Kysely } from 'kysely'
import type { RecordedEvent } from '../catalogue/event-type.js'
import type { Comparable } from '../diff/model.js'
import type { Query } from '../queries/query.js'
import type { ChangePointTable } from './change-points.js'

/** A table's `create table` body, `(column type, …)`, or a change-point table. */
export type TableDefinition = string | ChangePointTable

/**
 * A read model: its tables and how a batch of events changes them. The projector runs it in
 * the background, inside one transaction per batch together with its checkpoint, with the
 * tables of the generation being written first on the search path — so `apply` names its
 * tables unqualified. Queries read the live generation through the views in `readSchema(name)`.
 */
export interface Projection<Tables = unknown, Event extends RecordedEvent = RecordedEvent> {
  /** kebab-case: `price-list`. */
  readonly name: string
  readonly description: string
  /**
   * Table name → `create table` body: `(column type, …)`, or `changePointTable(columns)` for a
   * change-point table: the projector itself marks its rows retracted when an `event.retracted`
   * names their event.
   */
  readonly tables: Readonly<Record<string, TableDefinition>>
  /** Index definitions without the name: `price_points (product, component, effective_from)`. */
  readonly indexes: readonly string[]
  /**
   * View name → its `select`, for a read model that shows the log itself rather than copying
   * it: created in each generation's schema after the tables, and read like a table through the
   * views in `readSchema(name)`. The text names the generation's own relations qualified, so it
   * is given the generation.
   */
  readonly views?: Readonly<Record<string, (generation: GenerationRef) => string>>
  /**
   * The event types `apply` uses; the projector reads only these (and `event.retracted`) from
   * the log, and still moves the checkpoint past the others. Unset: every event.
   */
  readonly eventTypes?: readonly Event['type'][]
  /** Applies events in position order. Must be deterministic: a rebuild replays the same events. */
  apply(db: Kysely<Tables>, events: readonly Event[], context: ApplyContext): Promise<void>
  /**
   * Applies a batch straight from the log, in SQL, instead of being handed its events: does to
   * the tables what `apply` does with the events of `eventTypes` in positions (after, upTo], and
   * answers how many it applied. The log's rows then never pass through Node; the projector still
   * reads the batch's retractions and marks the change-point tables itself. Only for event types
   * whose data needs no upcasting: SQL sees the data as it was written.
   */
  applyFromLog?(db: Kysely<Tables>, batch: LogRange, context: ApplyContext): Promise<number>
  /** What the read model answers over HTTP, registered by the API in this order. */
  readonly queries?: readonly Query[]
  /** The models of its rows that `GET /v1/diff` compares between two points in time. */
  readonly comparables?: readonly Comparable[]
}

/** What applying a batch may need besides its events: the market time zone (publication dates). */
export interface ApplyContext {
  readonly marketTz: string
}

/** The positions of a batch: after `after`, up to and including `upTo`. */
export interface LogRange {
  readonly after: number
  readonly upTo: number
}

/** A generation of a projection: its schema and its number (its checkpoint is `(name, number)`). */
export interface GenerationRef {
  readonly name: string
  readonly schema: string
  readonly generation: number
}

/** Every relation a generation holds that queries read: its tables, then its views. */
export function relationsOf(projection: Projection): string[] {
  return [...Object.keys(projection.tables), ...Object.keys(projection.views ?? {})]
}

/** The `create table` body of a table definition. */
export function tableBody(definition: TableDefinition): string {
  return typeof definition === 'string' ? definition : definition.body
}

/** The tables a projection declares as change-point tables. */
export function changePointTables(projection: Projection): string[] {
  return Object.entries(projection.tables)
    .filter(([, definition]) => typeof definition !== 'string' && definition.changePoints)
    .map(([table]) => table)
}

/** The schema whose views show a projection's live tables. */
export function readSchema(name: string): string {
  return `rm_${name.replaceAll('-', '_')}`
}

/** The schema holding one generation's tables. */
export function generationSchema(name: string, generation: number): string {
  return `${readSchema(name)}_g${generation}`
}

/**
 * Declares a read model; its table types stay inside its own file. `apply` takes the log's
 * events as the vocabulary's union `Event`, so `switch (event.type)` narrows their data: sound
 * because the catalogue validated every event when it was written, and upcasts it when read.
 */
export function defineProjection<Tables, Event extends RecordedEvent = RecordedEvent>(
  projection: Projection<Tables, Event>,
): Projection {
  return projection as unknown as Projection
}
