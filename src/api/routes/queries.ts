import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import type { Database } from '../../db/schema.js'
import type { Projection } from '../../projector/projection.js'
import { IncludeSource } from '../../queries/parameters.js'
import type { Query, QueryContext } from '../../queries/query.js'
import { answerBody, jsonType } from '../answer-body.js'
import type { AnswerCache } from '../answer-cache.js'
import { awaitConsistency } from '../consistency-wait.js'
import { withSourceProperties, withSources } from '../include-source.js'
import { echoReportedBy, instantsOf, withReportedByProperty } from '../point-in-time.js'
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
  // Every query takes include=source: added here, after its own parameters.
  const querystring = { ...query.querystring, include: Type.Optional(IncludeSource) }
  const answerSchema = withReportedByProperty(query.answer)
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
        querystring: Type.Object(querystring, { additionalProperties: false }),
        response: { 200: withSourceProperties(answerSchema), ...problems },
      },
    },
    async (request, reply) => {
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
      let kept: unknown
      const context: QueryContext = {
        db,
        catalogue,
        marketTz,
        at,
        cached: async (compute) => {
          if (!cache || key === undefined) return compute()
          kept = await cache.get(key, compute)
          return kept as Awaited<ReturnType<typeof compute>>
        },
      }
      const { include, ...asked } = given as typeof given & { include?: 'source' }
      const answer = echoReportedBy(await query.run(context, { params, query: asked }), at)
      // Sources are attached to a copy, after the cache: the kept answer stays without them.
      if (include === 'source') return withSources(db, answer)
      if (!cache || typeof kept !== 'object' || kept === null) return answer
      const keptAnswer = kept
      const body = answerBody(
        answerSchema,
        answer,
        keptAnswer,
        (part, write) => cache.jsonOf(part, write),
        (value, schema) =>
          reply.serializeInput(value as Record<string, unknown>, schema as Record<string, unknown>),
      )
      return body === undefined ? answer : reply.type(jsonType).send(body)
    },
  )
}
