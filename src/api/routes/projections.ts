import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import type { Database } from '../../db/schema.js'
import { NotFound } from '../../errors.js'
import { projectionStatuses } from '../../projector/status.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface ProjectionRoutesOptions {
  readonly db: Kysely<Database>
  /** Queues a rebuild and returns its job id. */
  readonly requestRebuild: (name: string) => Promise<string>
}

const Status = Type.Object({
  name: Type.String(),
  position: Type.Integer({ description: 'Last position applied by the live read model' }),
  headPosition: Type.Integer({ description: 'Last position in the log' }),
  lag: Type.Integer(),
  status: Type.Union([Type.Literal('running'), Type.Literal('failing'), Type.Literal('rebuilding')]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  generation: Type.Integer({ description: 'Generation of the live tables; a rebuild makes a new one' }),
  rebuild: Type.Union([
    Type.Object({
      generation: Type.Integer(),
      position: Type.Integer(),
      jobId: Type.Union([Type.String(), Type.Null()]),
    }),
    Type.Null(),
  ]),
})

export const projectionRoutes: FastifyPluginAsync<ProjectionRoutesOptions> = async (
  fastify,
  { db, requestRebuild },
) => {
  const app = fastify as TypedApp

  app.get(
    '/v1/projections',
    {
      schema: {
        operationId: 'listProjections',
        tags: ['projections'],
        summary: 'Every projection: position, head, lag, status, last error, rebuild progress',
        response: { 200: Type.Array(Status) },
      },
    },
    async () => projectionStatuses(db),
  )

  app.post(
    '/v1/projections/:name/rebuild',
    {
      schema: {
        operationId: 'rebuildProjection',
        tags: ['projections'],
        summary: 'Rebuild a read model from position 0 beside the live one, then swap it in',
        description:
          'Queries keep being served from the live read model until the rebuilt one has caught up; then it ' +
          'replaces it atomically. While a rebuild is under way, asking again returns the same job.',
        params: Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) }),
        response: { 202: Type.Object({ jobId: Type.String() }), 400: ProblemResponse, 404: ProblemResponse },
      },
    },
    async (request, reply) => {
      const known = (await projectionStatuses(db)).some((p) => p.name === request.params.name)
      if (!known) throw new NotFound(`no projection named '${request.params.name}'`)
      const jobId = await requestRebuild(request.params.name)
      return reply.code(202).send({ jobId })
    },
  )
}
