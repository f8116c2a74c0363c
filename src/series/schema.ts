import { type Static, Type } from 'typebox'
import { priceComponents } from '../../events/price-changed.js'
import { LiteralUnion, MarketDateString, Slug } from '../catalogue/fields.js'
import { Instant } from '../queries/answer-fields.js'
import { ConsistentWith, KnownAt, ReportedBy } from '../queries/parameters.js'
import { intervals, maxPoints } from './intervals.js'
import { measureNames } from './measures.js'

const slug = (description: string) => Type.Optional(Type.String({ ...Slug, description }))

export const SeriesQuery = Type.Object(
  {
    measure: Type.Union(LiteralUnion(measureNames).anyOf, {
      description:
        'price (needs product, component): the amount in effect, a decimal string, null when none; ' +
        'alliance-members (needs alliance): how many members, 0 before it is formed; ' +
        'funding-raised (needs company): the amounts of the rounds closed by then, summed per currency; ' +
        'metric (needs subject, metric; takes forPeriod): the figure in effect, null when none. Of several ' +
        'figures in effect for different periods (forPeriod), the one that took effect last (latest ' +
        'effectiveFrom, then the later recorded), unless forPeriod names the period.',
    }),
    interval: Type.Union(LiteralUnion(intervals).anyOf, {
      description: 'One point at the end of each month, quarter or year (in the market time zone).',
    }),
    from: Type.String({
      ...MarketDateString,
      description: 'The first point is the end of the period holding the START of this date.',
    }),
    to: Type.Optional(
      Type.String({
        ...MarketDateString,
        description: `The last point is the end of the period holding the END of this date (default: now). At most ${maxPoints} points.`,
      }),
    ),
    knownAt: Type.Optional(KnownAt),
    reportedBy: Type.Optional(ReportedBy),
    consistentWith: Type.Optional(ConsistentWith),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('csv')], {
        description: 'csv: a header `at,value` (funding-raised: `at` and one column per currency, sorted).',
      }),
    ),
    product: slug('price: the product.'),
    component: Type.Optional(
      Type.Union(LiteralUnion(priceComponents).anyOf, { description: 'price: the component.' }),
    ),
    alliance: slug('alliance-members: the alliance.'),
    company: slug('funding-raised: the company.'),
    subject: slug('metric: the entity the figure is about.'),
    metric: Type.Optional(
      Type.String({ pattern: '^[a-z][a-z0-9-]{0,99}$', description: 'metric: the metric (kebab-case).' }),
    ),
    forPeriod: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 50,
        description: 'metric: only figures for this period ("2026").',
      }),
    ),
  },
  { additionalProperties: false },
)
export type SeriesQuery = Static<typeof SeriesQuery>

const SeriesValueSchema = Type.Union(
  [Type.String(), Type.Integer(), Type.Record(Type.String(), Type.String()), Type.Null()],
  {
    description:
      'price and metric: a decimal string, or null when none is in effect; alliance-members: a count; ' +
      'funding-raised: `{ "<currency>": "<decimal>" }`, `{}` before any round with an amount.',
  },
)

const echoed = (description: string) => Type.Optional(Type.String({ description }))

export const SeriesAnswer = Type.Object({
  measure: Type.String(),
  interval: Type.String(),
  knownAt: Instant,
  reportedBy: Type.Optional(
    Type.String({ format: 'date-time', description: 'The reportedBy asked, as an instant.' }),
  ),
  product: echoed('price'),
  component: echoed('price'),
  alliance: echoed('alliance-members'),
  company: echoed('funding-raised'),
  subject: echoed('metric'),
  metric: echoed('metric'),
  forPeriod: echoed('metric, when asked'),
  points: Type.Array(
    Type.Object({
      at: Type.String({
        format: 'date-time',
        description: "The period's last instant: what asOf at it reads.",
      }),
      value: SeriesValueSchema,
    }),
  ),
})
export type SeriesAnswer = Static<typeof SeriesAnswer>
