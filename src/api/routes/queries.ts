import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import type { Database } from '../../db/schema.js'
import type { Projection } from '../../projector/projection.js'
import type { Query, QueryContext } from '../../queries/query.js'
import type { AnswerCache } from '../answer-cache.js'
import { awaitConsistency } from '../consistency-wait.js'
import { instantsOf } from '../point-in-time.js'
import { cacheable, cacheKeyOf } from '../query-cache.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface QueryRoutesOptions {
  /** The read models whose queries are answered, in the order they are registered. */
  readonly projections: readonly Projection[]
  /** Where the read models are read: the primary, or a streaming replica of it. */
  readonly db: Kysely<Database>
  /** The primary, which alone knows which positions were committed; defaults to `db`. */
  readonly primary?: Kysely<Database>
  readonly catalogue: Catalogue
  readonly marketTz: string
  readonly consistencyWaitMs: number
  /** Answers kept between requests; without it every request queries the read models. */
  readonly cache?: AnswerCache
}

const problems = { 400: ProblemResponse, 404: ProblemResponse, 503: ProblemResponse }

/** Every projection's queries as read routes: the wait, the point in time and the cache are theirs alike. */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  for (const projection of options.projections) {
    for (const query of projection.queries ?? []) route(app, query, options)
  }
}

function route(app: TypedApp, query: Query, options: QueryRoutesOptions): void {
  const { db, primary = db, catalogue, marketTz, consistencyWaitMs, cache } = options
  app.get(
    query.path,
    {
      config: { scope: 'read' },
      schema: {
        operationId: query.operationId,
        tags: ['read models'],
        summary: query.summary,
        ...(query.description ? { description: query.description } : {}),
        ...(query.params ? { params: Type.Object(query.params) } : {}),
        querystring: Type.Object(query.querystring, { additionalProperties: false }),
        response: { 200: query.answer, ...problems },
      },
    },
    async (request) => {
      const params = typeof request.params === 'object' && request.params !== null ? request.params : {}
      const given = request.query
      await awaitConsistency(
        { db, primary, waitMs: consistencyWaitMs },
        query.readModels,
        given.consistentWith,
      )
      const at = instantsOf(given, marketTz)
      const key =
        cache && cacheable(query.cache, given) ? cacheKeyOf(query.operationId, params, given, at) : undefined
      const context: QueryContext = {
        db,
        catalogue,
        marketTz,
        at,
        cached: (compute) => (cache && key !== undefined ? cache.get(key, compute) : compute()),
      }
      return query.run(context, { params, query: given })
    },
  )
}
