import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { DateTime } from 'luxon'
import { Type } from 'typebox'
import { alliancesAsOf } from '../../../projections/alliance-membership.js'
import { companyProfileAsOf } from '../../../projections/company-profile.js'
import { entityNamesKnownAt } from '../../../projections/entities.js'
import { fundingRounds } from '../../../projections/funding.js'
import { priceHistory, priceListAsOf } from '../../../projections/price-list.js'
import { timelinePage, timelinePeriods } from '../../../projections/timeline.js'
import type { Catalogue } from '../../catalogue/catalogue.js'
import { maxPosition, Slug } from '../../catalogue/fields.js'
import type { Database } from '../../db/schema.js'
import { InvalidInput, NotFound, ReadModelBehind } from '../../errors.js'
import { waitUntilApplied } from '../../projector/consistency.js'
import { marketDateAt } from '../../time/market-date.js'
import type { AnswerCache } from '../answer-cache.js'
import {
  AsOf,
  ConsistentWith,
  KnownAt,
  Limit,
  PrecisionFilter,
  SubjectFilter,
  TypeFilter,
  ValidFrom,
  ValidTo,
} from '../parameters.js'
import {
  AllianceSchema,
  CompanyProfileSchema,
  EntitySchema,
  FundingRoundSchema,
  PriceChangeSchema,
  PriceInEffectSchema,
  TimelineEntrySchema,
  TimelinePeriodSchema,
} from '../read-model-schemas.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'
import { resolveTypes } from './events.js'

export interface ReadModelRoutesOptions {
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

const pointInTime = {
  asOf: Type.Optional(AsOf),
  knownAt: Type.Optional(KnownAt),
  consistentWith: Type.Optional(ConsistentWith),
}
const problems = { 400: ProblemResponse, 404: ProblemResponse, 503: ProblemResponse }
const Instant = Type.String({ format: 'date-time' })
/** Answers that do not depend on "now" (no asOf): cacheable as they are. */
const routesWithoutAsOf = new Set(['history', 'timeline', 'periods', 'entities'])

export const readModelRoutes: FastifyPluginAsync<ReadModelRoutesOptions> = async (
  fastify,
  { db, primary = db, catalogue, marketTz, consistencyWaitMs, cache },
) => {
  const app = fastify as TypedApp

  /** `asOf`/`knownAt` as instants (a date means its end), after waiting for `consistentWith`. */
  async function pointOf(
    q: { asOf?: string; knownAt?: string; consistentWith?: number },
    readModels: readonly string[],
  ): Promise<{ asOf: Date; knownAt: Date }> {
    if (
      q.consistentWith !== undefined &&
      !(await waitUntilApplied(db, readModels, q.consistentWith, consistencyWaitMs, primary))
    ) {
      throw new ReadModelBehind(
        `the read model has not yet applied position ${q.consistentWith}; retry shortly`,
      )
    }
    const now = new Date()
    return { asOf: endOf(q.asOf, 'asOf') ?? now, knownAt: endOf(q.knownAt, 'knownAt') ?? now }
  }

  /**
   * Serves `compute` from the answer cache when the request pins its valid time (`asOf` given,
   * or none used) and does not ask for read-your-writes (then it is computed fresh after the wait).
   */
  function answer<T>(
    route: string,
    q: { asOf?: string; consistentWith?: number },
    params: object,
    compute: () => Promise<T>,
  ): Promise<T> {
    if (!cache || q.consistentWith !== undefined || (!routesWithoutAsOf.has(route) && q.asOf === undefined)) {
      return compute()
    }
    return cache.get(`${route}:${JSON.stringify(params)}`, compute)
  }

  function endOf(value: string | undefined, name: string): Date | undefined {
    return value === undefined ? undefined : marketDateAt(`/${name}`, value, marketTz).end.toJSDate()
  }

  function startOf(value: string | undefined, name: string): Date | undefined {
    return value === undefined ? undefined : marketDateAt(`/${name}`, value, marketTz).start.toJSDate()
  }

  /** The timeline's filters, shared by its pages and its periods. */
  function timelineFilter(
    q: { from?: string; to?: string; type?: string; subject?: string; precision?: string },
    knownAt: Date,
  ) {
    return {
      knownAt,
      ...(q.from ? { from: startOf(q.from, 'from') } : {}),
      ...(q.to ? { to: endOf(q.to, 'to') } : {}),
      ...(q.type ? { types: resolveTypes(catalogue, q.type) } : {}),
      ...(q.subject ? { subject: q.subject } : {}),
      ...(q.precision ? { precisions: [...new Set(q.precision.split(','))] } : {}),
    }
  }

  app.get(
    '/v1/prices',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getPriceList',
        tags: ['read models'],
        summary: 'Prices in effect as of a date, as known at a date',
        description:
          "One row per (product, component) in effect at `asOf`. A price known only from a later change's " +
          '`previousAmount` is answered with `effectiveFrom: null` (in effect since an unknown date).',
        querystring: Type.Object(
          { ...pointInTime, product: Type.Optional(Slug), company: Type.Optional(Slug) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            asOf: Type.String({ format: 'date-time' }),
            knownAt: Type.String({ format: 'date-time' }),
            prices: Type.Array(PriceInEffectSchema),
          }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['price-list', 'entities'])
      const { product, company } = request.query
      const query = { ...at, ...(product ? { product } : {}), ...(company ? { company } : {}) }
      const prices = await answer('prices', request.query, cacheKey(query, request.query), () =>
        priceListAsOf(db, query),
      )
      return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), prices }
    },
  )

  app.get(
    '/v1/products/:product/prices',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getPriceHistory',
        tags: ['read models'],
        summary: "A product's price changes in valid-time order, as known at a date",
        params: Type.Object({ product: Slug }),
        querystring: Type.Object(
          { knownAt: Type.Optional(KnownAt), consistentWith: Type.Optional(ConsistentWith) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            product: Type.String(),
            knownAt: Instant,
            changes: Type.Array(PriceChangeSchema),
          }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['price-list'])
      const changes = await answer(
        'history',
        request.query,
        { product: request.params.product, knownAt: request.query.knownAt ?? 'latest' },
        () => priceHistory(db, request.params.product, at.knownAt),
      )
      return { product: request.params.product, knownAt: at.knownAt.toISOString(), changes }
    },
  )

  app.get(
    '/v1/alliances',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listAlliances',
        tags: ['read models'],
        summary: 'Alliances and their members as of a date, as known at a date',
        querystring: Type.Object(pointInTime, { additionalProperties: false }),
        response: {
          200: Type.Object({ asOf: Instant, knownAt: Instant, alliances: Type.Array(AllianceSchema) }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['alliance-membership', 'entities'])
      const alliances = await answer('alliances', request.query, cacheKey(at, request.query), () =>
        alliancesAsOf(db, at),
      )
      return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), alliances }
    },
  )

  app.get(
    '/v1/alliances/:alliance',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getAlliance',
        tags: ['read models'],
        summary: 'One alliance and its members as of a date',
        params: Type.Object({ alliance: Slug }),
        querystring: Type.Object(pointInTime, { additionalProperties: false }),
        response: {
          200: Type.Object({ asOf: Instant, knownAt: Instant, ...AllianceSchema.properties }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['alliance-membership', 'entities'])
      const query = { ...at, alliance: request.params.alliance }
      const [alliance] = await answer('alliances', request.query, cacheKey(query, request.query), () =>
        alliancesAsOf(db, query),
      )
      if (!alliance)
        throw new NotFound(`no alliance '${request.params.alliance}' in effect at ${at.asOf.toISOString()}`)
      return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), ...alliance }
    },
  )

  app.get(
    '/v1/companies/:company',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getCompanyProfile',
        tags: ['read models'],
        summary:
          'A company profile as of a date: products, funding, valuation, alliances, partnerships, stakes',
        params: Type.Object({ company: Slug }),
        querystring: Type.Object(pointInTime, { additionalProperties: false }),
        response: {
          200: Type.Object({ asOf: Instant, knownAt: Instant, ...CompanyProfileSchema.properties }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, [
        'company-profile',
        'funding',
        'alliance-membership',
        'entities',
      ])
      const query = { company: request.params.company, ...at }
      const profile = await answer('company', request.query, cacheKey(query, request.query), () =>
        companyProfileAsOf(db, query),
      )
      if (!profile)
        throw new NotFound(
          `nothing is known about '${request.params.company}' at ${at.knownAt.toISOString()}`,
        )
      return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), ...profile }
    },
  )

  app.get(
    '/v1/funding',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listFundingRounds',
        tags: ['read models'],
        summary: 'Funding rounds in valid-time order',
        querystring: Type.Object(
          {
            ...pointInTime,
            from: Type.Optional(ValidFrom),
            to: Type.Optional(ValidTo),
            company: Type.Optional(Slug),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ asOf: Instant, knownAt: Instant, rounds: Type.Array(FundingRoundSchema) }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['funding', 'entities'])
      const { from, to, company } = request.query
      const query = {
        ...at,
        ...(from ? { from: startOf(from, 'from') } : {}),
        ...(to ? { to: endOf(to, 'to') } : {}),
        ...(company ? { company } : {}),
      }
      const rounds = await answer('funding', request.query, cacheKey(query, request.query), () =>
        fundingRounds(db, query),
      )
      return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), rounds }
    },
  )

  app.get(
    '/v1/timeline',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getTimeline',
        tags: ['read models'],
        summary: 'Events in valid-time order, each with a one-line summary',
        querystring: Type.Object(
          {
            from: Type.Optional(ValidFrom),
            to: Type.Optional(ValidTo),
            type: Type.Optional(TypeFilter),
            subject: Type.Optional(SubjectFilter),
            precision: Type.Optional(PrecisionFilter),
            knownAt: Type.Optional(KnownAt),
            consistentWith: Type.Optional(ConsistentWith),
            limit: Type.Optional(Limit),
            next: Type.Optional(
              Type.String({
                pattern: '^[A-Za-z0-9_-]{1,100}$',
                description: 'Cursor from the previous page',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            knownAt: Instant,
            events: Type.Array(TimelineEntrySchema),
            next: Type.Union([Type.String(), Type.Null()], {
              description: 'Cursor for the next page; null at the end',
            }),
          }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['timeline', 'entities'])
      const { limit = 100, next } = request.query
      const after = next ? decodeCursor(next) : undefined
      const query = { ...timelineFilter(request.query, at.knownAt), limit, ...(after ? { after } : {}) }
      const events = await answer('timeline', request.query, cacheKey(query, request.query), () =>
        timelinePage(db, catalogue, query),
      )
      const last = events.at(-1)
      return {
        knownAt: at.knownAt.toISOString(),
        events,
        next: last && events.length === limit ? encodeCursor(last.effectiveFrom, last.position) : null,
      }
    },
  )

  app.get(
    '/v1/timeline/periods',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getTimelinePeriods',
        tags: ['read models'],
        summary: 'How many events each month of the timeline holds',
        description:
          'The periods of the timeline in valid-time order, with the same filters: one per month (of the market ' +
          'time zone, `timeZone`) for facts dated to a month, day or instant, and one per year for facts dated ' +
          'only to the year. A period reads back with `from=<period>&to=<period>` and `precision=year` or ' +
          '`precision=month,day,instant`.',
        querystring: Type.Object(
          {
            from: Type.Optional(ValidFrom),
            to: Type.Optional(ValidTo),
            type: Type.Optional(TypeFilter),
            subject: Type.Optional(SubjectFilter),
            precision: Type.Optional(PrecisionFilter),
            knownAt: Type.Optional(KnownAt),
            consistentWith: Type.Optional(ConsistentWith),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            knownAt: Instant,
            timeZone: Type.String({ description: 'The market time zone (MARKET_TZ) the months are in' }),
            periods: Type.Array(TimelinePeriodSchema),
          }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['timeline'])
      const query = { ...timelineFilter(request.query, at.knownAt), timeZone: marketTz }
      const periods = await answer('periods', request.query, cacheKey(query, request.query), () =>
        timelinePeriods(db, query),
      )
      return { knownAt: at.knownAt.toISOString(), timeZone: marketTz, periods }
    },
  )

  app.get(
    '/v1/entities',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listEntities',
        tags: ['read models'],
        summary: 'Every company, product, alliance, investor and institution, by its latest name',
        description:
          'Names are identities, not market states: each entity as last registered by `knownAt`, whatever the ' +
          'valid time. Sorted by name.',
        querystring: Type.Object(
          { knownAt: Type.Optional(KnownAt), consistentWith: Type.Optional(ConsistentWith) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ knownAt: Instant, entities: Type.Array(EntitySchema) }),
          ...problems,
        },
      },
    },
    async (request) => {
      const at = await pointOf(request.query, ['entities'])
      const entities = await answer(
        'entities',
        request.query,
        cacheKey({ knownAt: at.knownAt }, request.query),
        async () =>
          [...(await entityNamesKnownAt(db, at.knownAt)).values()].sort(
            (a, b) => a.name.localeCompare(b.name, 'en') || a.slug.localeCompare(b.slug),
          ),
      )
      return { knownAt: at.knownAt.toISOString(), entities }
    },
  )
}

/** The query as a cache key; a defaulted knownAt ("now") stands for the latest the read model knows. */
function cacheKey(query: object, given: { knownAt?: string }): object {
  return { ...query, knownAt: given.knownAt === undefined ? 'latest' : (query as { knownAt: Date }).knownAt }
}

function encodeCursor(effectiveFrom: string, position: number): string {
  return Buffer.from(`${effectiveFrom}|${position}`).toString('base64url')
}

/**
 * Only what `encodeCursor` writes: an ISO instant (market dates lie in the years 0001–9999) and a
 * position a log can hold. A forged cursor is refused here, not inside the query (a bigint
 * overflow or a date PostgreSQL cannot take).
 */
const cursorPattern = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(0|[1-9]\d{0,15})$/

function decodeCursor(cursor: string): { effectiveFrom: Date; position: number } {
  const [, iso = '', digits = ''] = cursorPattern.exec(Buffer.from(cursor, 'base64url').toString()) ?? []
  const parsed = DateTime.fromISO(iso, { zone: 'utc' })
  const position = Number(digits)
  if (!parsed.isValid || parsed.year < 1 || position > maxPosition) {
    throw new InvalidInput('next is not a cursor this service gave', [
      { path: '/next', message: 'unknown cursor' },
    ])
  }
  return { effectiveFrom: parsed.toJSDate(), position }
}
