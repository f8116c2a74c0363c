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
  /** READ_DATABASE_URL's replica: ready only while it answers too, with every migration replayed. */
  readonly replica?: Kysely<Database>
}

export const operationsRoutes: FastifyPluginAsync<OperationsOptions> = async (fastify, { db, replica }) => {
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
        summary: 'The database (and the read replica, if any) answers and every migration is applied',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ProblemResponse },
      },
    },
    async (_request, reply) => {
      const notReady =
        (await readiness(db, 'The database')) ??
        (replica ? await readiness(replica, 'The read replica') : undefined)
      if (notReady) {
        reply.header('retry-after', '5')
        return sendProblem(reply, problem(503, notReady))
      }
      return { status: 'ready' as const }
    },
  )
}

/** Why `db` cannot serve yet, or undefined when it can. */
async function readiness(db: Kysely<Database>, name: string): Promise<string | undefined> {
  const answers = await sql`select 1`
    .execute(db)
    .then(() => true)
    .catch(() => false)
  if (!answers) return `${name} is not answering.`
  if (!(await migrationsApplied(db))) return `${name} does not have every migration applied yet.`
  return undefined
}
