import { type TProperties, type TSchema, Type } from 'typebox'
import { Uuid } from '../catalogue/envelope.js'
import { MarketDateString, Slug } from '../catalogue/fields.js'
import { Instant, NullableInstant } from '../queries/answer-fields.js'
import { AsOf, KnownAt, ReportedBy, ValidFrom, ValidTo } from '../queries/parameters.js'
import { reportFormats } from './formats.js'
import type { GivenParameters } from './parameters.js'
import { parameterNames } from './parameters.js'
import type { ReportOutput } from './replay.js'
import type { Report } from './report.js'

/** The HTTP shapes of any report: its parameters, its JSON answer, and a report job. */

export const Format = Type.Union(
  reportFormats.map((format) => Type.Literal(format)),
  {
    default: 'json',
    description:
      'json (default), csv (RFC 4180, header row; several tables become one with a `section` column) or ' +
      'markdown (a title and one table per section).',
  },
)

const comparedAt = (description: string) => Type.String({ ...MarketDateString, description })

/** The parameters of a comparison (`between`), read as GET /v1/diff reads them. */
const comparisonSchemas = {
  fromAsOf: comparedAt(
    'Point A, valid time: the market as of the END of this date (year, month, day) or this instant. Required.',
  ),
  toAsOf: comparedAt('Point B, valid time, read like fromAsOf. Default: now.'),
  fromKnownAt: comparedAt(
    'Point A, transaction time: what was recorded by the END of this date. Default: now.',
  ),
  toKnownAt: comparedAt('Point B, transaction time, read like fromKnownAt. Default: now.'),
  company: Type.String({ ...Slug, description: 'Only what concerns this company.' }),
  product: Type.String({ ...Slug, description: 'Only what concerns this product.' }),
  alliance: Type.String({ ...Slug, description: 'Only this alliance, its members and its figures.' }),
}

const parameterSchemas: Record<keyof GivenParameters, TSchema> = {
  asOf: AsOf,
  knownAt: KnownAt,
  from: ValidFrom,
  to: ValidTo,
  reportedBy: ReportedBy,
  ...comparisonSchemas,
}

/** A report job's body: any report's parameters, as in its GET. */
export const ReportJobRequestSchema = Type.Object(
  {
    asOf: Type.Optional(AsOf),
    knownAt: Type.Optional(KnownAt),
    from: Type.Optional(ValidFrom),
    to: Type.Optional(ValidTo),
    reportedBy: Type.Optional(ReportedBy),
    ...Object.fromEntries(
      Object.entries(comparisonSchemas).map(([name, schema]) => [name, Type.Optional(schema)]),
    ),
  },
  { additionalProperties: false, description: "The report's parameters, as in its GET" },
)

const ReportedByInstant = Type.String({
  format: 'date-time',
  description: 'The reportedBy asked: only facts and retractions published by then counted',
})

export function parametersSchema(report: Report) {
  // A comparison needs its point A, as GET /v1/diff does; every other parameter has a default.
  const required = (name: keyof GivenParameters) => report.period === 'between' && name === 'fromAsOf'
  return Object.fromEntries(
    parameterNames(report).map((name) => [
      name,
      required(name) ? parameterSchemas[name] : Type.Optional(parameterSchemas[name]),
    ]),
  )
}

/** A report's JSON answer: what was replayed, then the report's own sections. */
export function outputSchema(report: Report) {
  const period: TProperties =
    report.period === 'between'
      ? {
          fromAsOf: Instant,
          toAsOf: Instant,
          fromKnownAt: Instant,
          toKnownAt: Instant,
          reportedBy: Type.Optional(ReportedByInstant),
        }
      : report.period === 'as-of'
        ? { asOf: Instant, knownAt: Instant, reportedBy: Type.Optional(ReportedByInstant) }
        : {
            from: Type.Union([Instant, Type.Null()], {
              description: 'Start of the window; null: the beginning',
            }),
            to: Type.Union([Instant, Type.Null()], { description: 'End of the window; null: open' }),
            knownAt: Instant,
            reportedBy: Type.Optional(ReportedByInstant),
          }
  return Type.Object(
    {
      report: Type.Literal(report.name),
      ...period,
      position: Type.Integer({
        description:
          'The replay read the log up to this position (the last known at knownAt; of a comparison, at the later knownAt)',
      }),
      eventsReplayed: Type.Integer(),
      ...report.resultSchema.properties,
    },
    { title: report.title },
  )
}

export const ReportJobSchema = (reports: readonly Report[]) =>
  Type.Object({
    jobId: Uuid,
    report: Type.String(),
    status: Type.Union([
      Type.Literal('queued'),
      Type.Literal('running'),
      Type.Literal('completed'),
      Type.Literal('failed'),
    ]),
    parameters: Type.Record(Type.String(), NullableInstant),
    progress: Type.Object(
      {
        replayed: Type.Integer({ description: 'The log position reached: events replayed so far' }),
        total: Type.Union([Type.Integer(), Type.Null()], {
          description:
            'The last position to replay (the last recorded by knownAt); null until the job starts',
        }),
      },
      {
        description:
          'Stored after every page of the log. Positions number the events in recording order; an append ' +
          'that was rolled back leaves a gap.',
      },
    ),
    createdAt: Instant,
    startedAt: NullableInstant,
    finishedAt: NullableInstant,
    error: Type.Optional(Type.String()),
    result: Type.Optional(
      Type.Unsafe<ReportOutput>(
        Type.Union(reports.map(outputSchema), {
          description: 'When completed: the report, as GET /v1/reports/{name} answers it in JSON',
        }),
      ),
    ),
  })

/** `market-snapshot` → `getMarketSnapshotReport`. */
export function reportOperationId(report: Report): string {
  const words = report.name.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1))
  return `get${words.join('')}Report`
}
