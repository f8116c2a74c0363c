import { Type } from 'typebox'
import { resolveTypes } from '../../src/catalogue/type-filter.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { endOfDate, startOfDate } from '../../src/queries/market-dates.js'
import {
  knownAtOnly,
  Limit,
  NextPage,
  PageCursor,
  PrecisionFilter,
  SubjectFilter,
  TypeFilter,
  ValidFrom,
  ValidTo,
} from '../../src/queries/parameters.js'
import { defineQuery, type QueryContext } from '../../src/queries/query.js'
import { decodeCursor, encodeCursor } from '../../src/queries/valid-time-cursor.js'
import { timelinePage, timelinePeriods } from './read.js'
import {
  TimelineEntrySchema,
  type TimelineKind,
  TimelineKindFilter,
  TimelinePeriodSchema,
} from './schemas.js'

/** The filters of the timeline, shared by its pages and its periods. */
const filters = {
  from: Type.Optional(ValidFrom),
  to: Type.Optional(ValidTo),
  type: Type.Optional(TypeFilter),
  subject: Type.Optional(SubjectFilter),
  precision: Type.Optional(PrecisionFilter),
  kind: Type.Optional(TimelineKindFilter),
}

interface GivenFilters {
  readonly from?: string
  readonly to?: string
  readonly type?: string
  readonly subject?: string
  readonly precision?: string
  readonly kind?: TimelineKind
}

function filterOf(q: GivenFilters, { at, catalogue, marketTz }: QueryContext) {
  return {
    knownAt: at.knownAt,
    ...(at.reportedBy ? { reportedBy: at.reportedBy, marketTz } : {}),
    ...(q.from ? { from: startOfDate('from', q.from, marketTz) } : {}),
    ...(q.to ? { to: endOfDate('to', q.to, marketTz) } : {}),
    ...(q.type ? { types: resolveTypes(catalogue, q.type) } : {}),
    ...(q.subject ? { subject: q.subject } : {}),
    ...(q.precision ? { precisions: [...new Set(q.precision.split(','))] } : {}),
    ...kindFilter(q.kind ?? 'fact', catalogue.referenceTypes()),
  }
}

/** `kind` as a filter on types: reference data left out (fact), kept alone (reference), or both (all). */
function kindFilter(kind: TimelineKind, referenceTypes: readonly string[]) {
  if (kind === 'fact') return { excludedTypes: referenceTypes }
  if (kind === 'reference') return { onlyTypes: referenceTypes }
  return {}
}

const getTimeline = defineQuery({
  operationId: 'getTimeline',
  path: '/v1/timeline',
  summary: 'Events in valid-time order, each with a one-line summary',
  querystring: {
    ...filters,
    ...knownAtOnly,
    limit: Type.Optional(Limit),
    next: Type.Optional(PageCursor),
  },
  answer: Type.Object({
    knownAt: Instant,
    events: Type.Array(TimelineEntrySchema),
    next: NextPage,
  }),
  readModels: ['timeline', 'entities'],
  cache: 'always',
  async run(context, { query: q }) {
    const { db, catalogue, at, cached } = context
    const { limit = 100, next } = q
    const after = next ? decodeCursor(next) : undefined
    const query = { ...filterOf(q, context), limit, ...(after ? { after } : {}) }
    const events = await cached(() => timelinePage(db, catalogue, query))
    const last = events.at(-1)
    return {
      knownAt: at.knownAt.toISOString(),
      events,
      next: last && events.length === limit ? encodeCursor(last.effectiveFrom, last.position) : null,
    }
  },
})

const getTimelinePeriods = defineQuery({
  operationId: 'getTimelinePeriods',
  path: '/v1/timeline/periods',
  summary: 'How many events each month of the timeline holds',
  description:
    'The periods of the timeline in valid-time order, with the same filters: one per month (of the market ' +
    'time zone, `timeZone`) for facts dated to a month, day or instant, and one per year for facts dated ' +
    'only to the year. A period reads back with `from=<period>&to=<period>` and `precision=year` or ' +
    '`precision=month,day,instant`.',
  querystring: { ...filters, ...knownAtOnly },
  answer: Type.Object({
    knownAt: Instant,
    timeZone: Type.String({ description: 'The market time zone (MARKET_TZ) the months are in' }),
    periods: Type.Array(TimelinePeriodSchema),
  }),
  readModels: ['timeline'],
  cache: 'always',
  async run(context, { query: q }) {
    const { db, marketTz, at, cached } = context
    const query = { ...filterOf(q, context), timeZone: marketTz }
    const periods = await cached(() => timelinePeriods(db, query))
    return { knownAt: at.knownAt.toISOString(), timeZone: marketTz, periods }
  },
})

export const timelineQueries = [getTimeline, getTimelinePeriods]
