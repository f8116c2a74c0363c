import type { FastifyPluginAsync } from 'fastify'
import { type Kysely, sql } from 'kysely'
import { Type } from 'typebox'
import { migrationsApplied } from '../../db/migrate.js'
import type { Database } from '../../db/schema.js'
import { problem, sendProblem } from '../problems.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface OperationsOptions {
  readonly db: Kysely<Database>
}

export const operationsRoutes: FastifyPluginAsync<OperationsOptions> = async (fastify, { db }) => {
  const app = fastify as TypedApp

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['operations'],
        summary: 'The process is alive',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'The database answers and every migration is applied',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ProblemResponse },
      },
    },
    async (_request, reply) => {
      const answers = await sql`select 1`
        .execute(db)
        .then(() => true)
        .catch(() => false)
      if (!answers) {
        reply.header('retry-after', '5')
        return sendProblem(reply, problem(503, 'The database is not answering.'))
      }
      if (!(await migrationsApplied(db))) {
        reply.header('retry-after', '5')
        return sendProblem(reply, problem(503, 'Database migrations are not all applied yet.'))
      }
      return { status: 'ready' as const }
    },
  )
}
