import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import { Type } from 'typebox'
import type { Database } from '../../db/schema.js'
import { type Comparable, diffModels } from '../../diff/model.js'
import { NotFound } from '../../errors.js'
import { subjectHistory } from '../../history/history.js'
import { keptHistory } from '../../history/kept.js'
import { HistoryAnswer, HistoryParams, HistoryQuery } from '../../history/schemas.js'
import type { Projection } from '../../projector/projection.js'
import { endOfDate, startOfDate } from '../../queries/market-dates.js'
import { subjectIsKnown } from '../../store/sql/subject-facts.js'
import { jsonType } from '../answer-body.js'
import { awaitConsistency } from '../consistency-wait.js'
import { instantsOf } from '../point-in-time.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface HistoryRoutesOptions {
  /** The read models whose comparables give the history's rows. */
  readonly projections: readonly Projection[]
  /** Where the read models and the log are read: the primary, or a streaming replica. */
  readonly db: Kysely<Database>
  /** The pool behind `db`, for reading kept histories in binary. */
  readonly pool: pg.Pool
  /** The primary, which alone knows which positions were committed; defaults to `db`. */
  readonly primary?: Kysely<Database>
  readonly marketTz: string
  readonly consistencyWaitMs: number
}

/** `GET /v1/subjects/:subject/history`: every change of a subject's rows, in valid-time order. */
export const historyRoutes: FastifyPluginAsync<HistoryRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  const { db, pool, primary = db, marketTz, consistencyWaitMs } = options
  const comparables: Comparable[] = options.projections.flatMap((p) => p.comparables ?? [])
  const readModels = [...new Set(comparables.flatMap((c) => c.readModels))]
  app.get(
    '/v1/subjects/:subject/history',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getSubjectHistory',
        tags: ['read models'],
        summary: "A subject's history: every step of its rows, with its corrections and plans",
        description:
          `Each change is a row of ${diffModels.join(', ')} (as GET /v1/diff shows it) that differs a millisecond ` +
          "before and at the effectiveFrom of one of the subject's events, as known at knownAt. A retracted fact " +
          'is shown with `retracted` and the rows as it claimed them; it changes no later `before`. A planned or ' +
          'announced fact is shown with `planned: true` beside the row in effect, which it does not change. ' +
          "The workers keep every subject's history as known now, made ahead of the request: without reportedBy, " +
          'from, to or consistentWith, and with a knownAt at or after every recording it counts, the kept history ' +
          'is answered (header `x-history-answer: kept`) while nothing it was made from has changed since, and ' +
          'it is the same answer as the one computed at the request (`x-history-answer: computed`).',
        params: HistoryParams,
        querystring: HistoryQuery,
        response: {
          200: {
            ...HistoryAnswer,
            headers: {
              // A plain enum: the document copies a header's schema as it stands (OpenAPI 3.0 has no const).
              'x-history-answer': Type.Unsafe<'kept' | 'computed'>({
                type: 'string',
                enum: ['kept', 'computed'],
                description: 'kept: the history the workers made ahead; computed: made at the request',
              }),
            },
          },
          400: ProblemResponse,
          404: ProblemResponse,
          503: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      const { subject } = request.params
      const { consistentWith, from, to, ...given } = request.query
      const at = instantsOf(given, marketTz)
      const bounds = { from: startOfDate('from', from, marketTz), to: endOfDate('to', to, marketTz) }
      await awaitConsistency({ db, primary, waitMs: consistencyWaitMs }, readModels, consistentWith)
      // As known now, with nothing asked beside: the history kept ahead, as long as it stands.
      const plain = from === undefined && to === undefined && at.reportedBy === undefined
      const kept =
        plain && consistentWith === undefined
          ? await keptHistory(db, pool, subject, at.knownAt, readModels)
          : undefined
      if (kept !== undefined)
        return reply
          .header('x-history-answer', 'kept')
          .type(jsonType)
          .send(
            Buffer.concat([
              Buffer.from(
                `{"subject":${JSON.stringify(subject)},"knownAt":"${at.knownAt.toISOString()}","changes":`,
              ),
              kept,
              Buffer.from('}'),
            ]),
          )
      if (!(await subjectIsKnown(db, subject)))
        throw new NotFound(`no events of subject '${subject}'`, [
          { path: '/subject', message: 'unknown subject' },
        ])
      const changes = await subjectHistory(db, comparables, { subject, ...at, ...bounds, marketTz })
      reply.header('x-history-answer', 'computed')
      return {
        subject,
        knownAt: at.knownAt.toISOString(),
        ...(at.reportedBy ? { reportedBy: at.reportedBy.toISOString() } : {}),
        changes,
      }
    },
  )
}
