import type { Kysely } from 'kysely'
import type { Static, TObject, TProperties, TSchema } from 'typebox'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { Database } from '../db/schema.js'
import type { asOfAndKnownAt, knownAtOnly } from './parameters.js'

/**
 * A read model's query as an HTTP contract: what it is called, where it is asked, what it takes and
 * answers, and how to answer it. The API registers every projection's queries alike; the types of
 * `run` come from the schemas, so an answer of the wrong shape does not compile.
 */
export interface Query<
  Params extends TProperties = Record<never, never>,
  Querystring extends PointInTimeParameters = typeof asOfAndKnownAt,
  Answer extends TSchema = TSchema,
> {
  readonly operationId: string
  /** The route, with `:name` for each of `params`. */
  readonly path: string
  readonly summary: string
  readonly description?: string
  readonly params?: Params
  /**
   * Every query-string parameter, in the document's order. It spreads `asOfAndKnownAt` or
   * `knownAtOnly` (from `./parameters.ts`): which of the two is the point in time the query takes.
   */
  readonly querystring: Querystring
  /** The answer (200). */
  readonly answer: Answer
  /** The read models the answer is read from: `consistentWith` waits for all of them. */
  readonly readModels: readonly string[]
  readonly cache: CacheRule
  run(context: QueryContext, request: QueryRequest<Params, Querystring>): Promise<Static<Answer>>
}

/**
 * When an answer may be kept between requests: `always` for answers that do not depend on "now"
 * (they take no `asOf`), `when-asOf-given` for the others. Never when `consistentWith` is asked.
 */
export type CacheRule = 'always' | 'when-asOf-given'

/**
 * Every query takes `knownAt` and `consistentWith`; some also take `asOf`, which is why a query
 * seen from the API, whichever it is, may have been given all three.
 */
export type PointInTimeParameters = typeof knownAtOnly

/** The point in time asked, as instants: the end of a given date; now where none is given. */
export interface Instants {
  readonly asOf: Date
  readonly knownAt: Date
  /** Only facts (and retractions) public by then: the end of the given date. Undefined: no such limit. */
  readonly reportedBy?: Date
}

export interface QueryContext {
  /** Where the read models are read: the primary, or a streaming replica of it. */
  readonly db: Kysely<Database>
  readonly catalogue: Catalogue
  readonly marketTz: string
  readonly at: Instants
  /**
   * The part of the answer read from the read models, computed, or kept from an earlier request
   * where the query's cache rule allows. Called once per request: the request is its key.
   */
  cached<T>(compute: () => Promise<T>): Promise<T>
}

export interface QueryRequest<Params extends TProperties, Querystring extends TProperties> {
  readonly params: Static<TObject<Params>>
  readonly query: Static<TObject<Querystring>>
}

/**
 * Declares a query; its parameter and answer types stay inside its own module. The API calls `run`
 * only with a request its schemas validated, which is what makes widening the types sound.
 */
export function defineQuery<
  Params extends TProperties = Record<never, never>,
  Querystring extends PointInTimeParameters = PointInTimeParameters,
  Answer extends TSchema = TSchema,
>(query: Query<Params, Querystring, Answer>): Query {
  return query as unknown as Query
}
