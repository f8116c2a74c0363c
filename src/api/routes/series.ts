import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import type { Database } from '../../db/schema.js'
import { seriesCsv } from '../../series/csv.js'
import { SeriesAnswer, SeriesQuery } from '../../series/schema.js'
import { seriesPoints, seriesRequestOf } from '../../series/series.js'
import type { AnswerCache } from '../answer-cache.js'
import { awaitConsistency } from '../consistency-wait.js'
import { instantsOf } from '../point-in-time.js'
import { cacheKeyOf } from '../query-cache.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface SeriesRoutesOptions {
  /** Where the read models are read: the primary, or a streaming replica of it. */
  readonly db: Kysely<Database>
  /** The primary, which alone knows which positions were committed. */
  readonly primary: Kysely<Database>
  readonly marketTz: string
  readonly consistencyWaitMs: number
  readonly cache?: AnswerCache
}

const csvType = 'text/csv; charset=utf-8; header=present'

export const seriesRoutes: FastifyPluginAsync<SeriesRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  const { db, primary, marketTz, consistencyWaitMs, cache } = options
  app.get(
    '/v1/series',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getSeries',
        tags: ['read models'],
        summary: 'A measure at the end of each month, quarter or year, as known at a date',
        description:
          'Each point is the as-of answer at its `at`, the last instant of its period in the market time zone ' +
          '(what `asOf=2024-06` reads): `price` the amount `GET /v1/prices` gives for the component, ' +
          '`alliance-members` the number of members `GET /v1/alliances/{alliance}` gives, `funding-raised` the ' +
          'sum per currency of the amounts of the rounds `GET /v1/funding` gives, `metric` the value of the ' +
          '`GET /v1/metrics` figure (the one that took effect last, unless `forPeriod` is given).',
        querystring: SeriesQuery,
        response: {
          200: {
            description: 'The series, as JSON or as CSV (`format=csv`)',
            content: {
              'application/json': { schema: SeriesAnswer },
              'text/csv': { schema: Type.String() },
            },
          },
          400: ProblemResponse,
          503: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      const { format = 'json', consistentWith, ...query } = request.query
      const series = seriesRequestOf(request.query, marketTz, new Date())
      await awaitConsistency(
        { db, primary, waitMs: consistencyWaitMs },
        series.measure.readModels,
        consistentWith,
      )
      const at = instantsOf(query, marketTz)
      const knowledge = { knownAt: at.knownAt, reportedBy: at.reportedBy }
      // The points depend on "now" only through a defaulted `to`; read-your-writes is never kept.
      const key =
        cache && query.to !== undefined && consistentWith === undefined
          ? cacheKeyOf('getSeries', {}, query, at)
          : undefined
      const compute = () => seriesPoints(db, series, knowledge)
      const points = cache && key !== undefined ? await cache.get(key, compute) : await compute()
      if (format === 'csv') return reply.type(csvType).send(seriesCsv(points))
      return {
        measure: query.measure,
        interval: query.interval,
        knownAt: at.knownAt.toISOString(),
        ...(at.reportedBy ? { reportedBy: at.reportedBy.toISOString() } : {}),
        ...series.keys,
        points,
      }
    },
  )
}
