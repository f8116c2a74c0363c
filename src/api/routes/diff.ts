import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import { LiteralUnion, MarketDateString, Slug } from '../../catalogue/fields.js'
import type { Database } from '../../db/schema.js'
import { changesCsv } from '../../diff/csv.js'
import { diffBetween } from '../../diff/diff.js'
import { type Comparable, type DiffScope, diffModels } from '../../diff/model.js'
import { ChangeSchema } from '../../diff/schemas.js'
import { InvalidInput } from '../../errors.js'
import type { Projection } from '../../projector/projection.js'
import { Instant } from '../../queries/answer-fields.js'
import { ConsistentWith, ReportedBy } from '../../queries/parameters.js'
import { retractionsRecordedBetween } from '../../store/sql/retractions.js'
import { bodyOf, jsonType } from '../answer-body.js'
import type { AnswerCache } from '../answer-cache.js'
import { awaitConsistency } from '../consistency-wait.js'
import { diffPointsOf } from '../point-in-time.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface DiffRoutesOptions {
  /** The read models whose comparables the diff compares. */
  readonly projections: readonly Projection[]
  /** Where the read models (and the log's retractions) are read: the primary, or a streaming replica. */
  readonly db: Kysely<Database>
  /** The primary, which alone knows which positions were committed; defaults to `db`. */
  readonly primary?: Kysely<Database>
  readonly marketTz: string
  readonly consistencyWaitMs: number
  /** Where answers are kept until a read model moves (as the read-model queries' are). */
  readonly cache?: AnswerCache
}

const date = (description: string) => Type.Optional(Type.String({ ...MarketDateString, description }))
const scopeNames = ['company', 'product', 'alliance'] as const

const DiffQuery = Type.Object(
  {
    fromAsOf: Type.String({
      ...MarketDateString,
      description:
        'Point A, valid time: the market as of the END of this date (year, month, day) or this instant.',
    }),
    toAsOf: date('Point B, valid time, read like fromAsOf. Default: now.'),
    fromKnownAt: date('Point A, transaction time: what was recorded by the END of this date. Default: now.'),
    toKnownAt: date('Point B, transaction time, read like fromKnownAt. Default: now.'),
    reportedBy: Type.Optional(
      Type.String({
        ...ReportedBy,
        description:
          'Publication time, one bound for both points: only facts and retractions whose source was published ' +
          'by the END of this date count (as on every read-model query). Default: no such limit.',
      }),
    ),
    company: Type.Optional(Type.String({ ...Slug, description: 'Only what concerns this company.' })),
    product: Type.Optional(Type.String({ ...Slug, description: 'Only what concerns this product.' })),
    alliance: Type.Optional(
      Type.String({ ...Slug, description: 'Only this alliance, its members and its figures.' }),
    ),
    format: Type.Optional(
      Type.Union(LiteralUnion(['json', 'csv'] as const).anyOf, {
        default: 'json',
        description: 'json (default) or csv (RFC 4180, header row, one line per change).',
      }),
    ),
    consistentWith: Type.Optional(ConsistentWith),
  },
  { additionalProperties: false },
)

const Point = Type.Object({ asOf: Instant, knownAt: Instant })

const DiffAnswer = Type.Object({
  from: Point,
  to: Point,
  reportedBy: Type.Optional(Instant),
  changes: Type.Array(ChangeSchema),
})

/** `GET /v1/diff`: what differs between two points in time, on both axes, by read model and row. */
export const diffRoutes: FastifyPluginAsync<DiffRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  const { db, primary = db, marketTz, consistencyWaitMs, cache } = options
  const comparables = comparablesOf(options.projections)
  const readModels = [...new Set(comparables.flatMap((c) => c.readModels))]
  app.get(
    '/v1/diff',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getDiff',
        tags: ['read models'],
        summary: 'What changed between two points in time, on both axes: every row added, removed or changed',
        description:
          'Compares point A (fromAsOf, fromKnownAt) with point B (toAsOf, toKnownAt) for the whole market or one ' +
          `company, product or alliance, over ${diffModels.join(', ')}. A change is \`knowledge\` when its row as of ` +
          'toAsOf differs between fromKnownAt and toKnownAt, else `valid-time`. With both asOf given, the answer is ' +
          'kept until a read model moves, as an as-of answer is.',
        querystring: DiffQuery,
        response: {
          200: {
            description: 'The changes, ordered by model then key; as CSV when format=csv',
            content: {
              'application/json': { schema: DiffAnswer },
              'text/csv': { schema: Type.String() },
            },
          },
          400: ProblemResponse,
          503: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      const { format, consistentWith, ...given } = request.query
      const scope = scopeOf(given)
      await awaitConsistency({ db, primary, waitMs: consistencyWaitMs }, readModels, consistentWith)
      const points = diffPointsOf(given, marketTz)
      const compute = () =>
        diffBetween(db, comparables, { ...points, scope }, (after, upTo, reportedBy) =>
          retractionsRecordedBetween(db, { after, upTo, reportedBy, marketTz }),
        )
      // Kept where both asOf are given (a defaulted one is "now", which moves); a defaulted knownAt
      // stands for the latest the read models know, and the cache is dropped whenever they move.
      const key =
        cache && given.toAsOf !== undefined && consistentWith === undefined
          ? `getDiff:${JSON.stringify([
              scope,
              points.from.asOf.getTime(),
              points.to.asOf.getTime(),
              given.fromKnownAt === undefined ? 'latest' : points.from.knownAt.getTime(),
              given.toKnownAt === undefined ? 'latest' : points.to.knownAt.getTime(),
              points.reportedBy?.getTime() ?? null,
            ])}`
          : undefined
      const csvType = 'text/csv; charset=utf-8; header=present'
      const head = {
        from: instants(points.from),
        to: instants(points.to),
        ...(points.reportedBy ? { reportedBy: points.reportedBy.toISOString() } : {}),
      }
      if (!cache || key === undefined) {
        const changes = await compute()
        return format === 'csv' ? reply.type(csvType).send(changesCsv(changes)) : { ...head, changes }
      }
      // Kept as the bytes they are sent as, each format under its own key: a whole market's changes
      // are megabytes of JSON, and held as objects they took five times that in the heap, where every
      // collection went through them while answers were served. The changes are plain JSON made in
      // their schema's shape (src/diff/compare.ts), so JSON.stringify writes the bytes the serialiser
      // would (test/api/answer-cache.test.ts holds it to that), in a fraction of its time.
      if (format === 'csv')
        return reply
          .type(csvType)
          .send(await cache.get(`${key}:csv`, async () => changesCsv(await compute())))
      const changesJson = await cache.get(key, async () => Buffer.from(JSON.stringify(await compute())))
      const body = bodyOf(
        DiffAnswer,
        { ...head, changes: changesJson },
        (part) => (part === changesJson ? changesJson : undefined),
        (value, schema) =>
          reply.serializeInput(value as Record<string, unknown>, schema as Record<string, unknown>),
      )
      return reply.type(jsonType).send(body)
    },
  )
}

/** Every projection's comparables, in the order of `diffModels`. */
function comparablesOf(projections: readonly Projection[]): Comparable[] {
  const all = projections.flatMap((p) => p.comparables ?? [])
  return all.sort((a, b) => diffModels.indexOf(a.model) - diffModels.indexOf(b.model))
}

function scopeOf(given: { company?: string; product?: string; alliance?: string }): DiffScope {
  const asked = scopeNames.filter((name) => given[name] !== undefined)
  if (asked.length > 1) {
    throw new InvalidInput(
      `a diff is of the whole market or of one company, product or alliance; not ${asked.join(' and ')}`,
      asked.slice(1).map((name) => ({ path: `/${name}`, message: `not with ${asked[0]}` })),
    )
  }
  const [name] = asked
  return name === undefined ? {} : { [name]: given[name] }
}

function instants(point: { asOf: Date; knownAt: Date }): { asOf: string; knownAt: string } {
  return { asOf: point.asOf.toISOString(), knownAt: point.knownAt.toISOString() }
}
