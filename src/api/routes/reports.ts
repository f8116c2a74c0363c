import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { Kysely } from 'kysely'
import { type TProperties, type TSchema, Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import { Uuid } from '../../catalogue/envelope.js'
import type { Database } from '../../db/schema.js'
import { DatabaseUnavailable, NotFound, ReportNotReady } from '../../errors.js'
import { AsOf, KnownAt, ValidFrom, ValidTo } from '../../queries/parameters.js'
import { formatMedia, type ReportFormat, renderReport, reportFormats } from '../../reports/formats.js'
import type { RequestReport } from '../../reports/jobs.js'
import { reportJob } from '../../reports/jobs.js'
import {
  type GivenParameters,
  parameterNames,
  reportFileName,
  resolveParameters,
} from '../../reports/parameters.js'
import { type ReportOutput, replayReport } from '../../reports/replay.js'
import type { Report } from '../../reports/report.js'
import { CallerSlots, callerOf } from '../caller-slots.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface ReportRoutesOptions {
  /** The primary: report jobs are written and followed there, so a job is found right after it is queued. */
  readonly db: Kysely<Database>
  /** Where reports replay the log: the primary or a streaming replica of it; defaults to `db`. */
  readonly log?: Kysely<Database>
  readonly catalogue: Catalogue
  readonly marketTz: string
  readonly reports: readonly Report[]
  /** Queues a report job (pg-boss); without it, job requests are 503. */
  readonly requestReport?: RequestReport
  /** Replays in progress per caller, shared with the log's NDJSON export; default: no limit. */
  readonly slots?: CallerSlots
}

const Instant = Type.String({ format: 'date-time' })
const NullableInstant = Type.Union([Instant, Type.Null()])

const Format = Type.Union(
  reportFormats.map((format) => Type.Literal(format)),
  {
    default: 'json',
    description:
      'json (default), csv (RFC 4180, header row; several tables become one with a `section` column) or ' +
      'markdown (a title and one table per section).',
  },
)

const parameterSchemas: Record<keyof GivenParameters, TSchema> = {
  asOf: AsOf,
  knownAt: KnownAt,
  from: ValidFrom,
  to: ValidTo,
}

function parametersSchema(report: Report) {
  return Object.fromEntries(
    parameterNames(report).map((name) => [name, Type.Optional(parameterSchemas[name])]),
  )
}

/** A report's JSON answer: what was replayed, then the report's own sections. */
function outputSchema(report: Report) {
  const period: TProperties =
    report.period === 'as-of'
      ? { asOf: Instant, knownAt: Instant }
      : {
          from: Type.Union([Instant, Type.Null()], {
            description: 'Start of the window; null: the beginning',
          }),
          to: Type.Union([Instant, Type.Null()], { description: 'End of the window; null: open' }),
          knownAt: Instant,
        }
  return Type.Object(
    {
      report: Type.Literal(report.name),
      ...period,
      position: Type.Integer({
        description: 'The replay read the log up to this position (the last known at knownAt)',
      }),
      eventsReplayed: Type.Integer(),
      ...report.resultSchema.properties,
    },
    { title: report.title },
  )
}

const ReportJobSchema = (reports: readonly Report[]) =>
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

const problems = { 400: ProblemResponse, 404: ProblemResponse }

/** `market-snapshot` → `getMarketSnapshotReport`. */
function reportOperationId(report: Report): string {
  const words = report.name.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1))
  return `get${words.join('')}Report`
}

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (
  fastify,
  { db, log = db, catalogue, marketTz, reports, requestReport, slots = new CallerSlots(0) },
) => {
  const app = fastify as TypedApp

  function findReport(name: string): Report {
    const report = reports.find((r) => r.name === name)
    if (!report) {
      throw new NotFound(`no report named '${name}'; reports: ${reports.map((r) => r.name).join(', ')}`)
    }
    return report
  }

  function send(
    reply: FastifyReply,
    report: Report,
    output: ReportOutput,
    given: GivenParameters,
    format: ReportFormat,
  ): FastifyReply {
    const { contentType, extension } = formatMedia[format]
    const fileName = reportFileName(report, given, extension)
    reply.header(
      'content-disposition',
      `${format === 'json' ? 'inline' : 'attachment'}; filename="${fileName}"`,
    )
    reply.type(contentType)
    return reply.send(format === 'json' ? output : renderReport(report, output, format))
  }

  const fileResponse = (report: Report) => ({
    description: `${report.title}, in the format asked for (a Content-Disposition names the file)`,
    content: {
      'application/json': { schema: outputSchema(report) },
      'text/csv': { schema: Type.String() },
      'text/markdown': { schema: Type.String() },
    },
  })

  app.get(
    '/v1/reports',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listReports',
        tags: ['reports'],
        summary: 'The reports the service computes by replaying the log',
        response: {
          200: Type.Object({
            reports: Type.Array(
              Type.Object({
                name: Type.String(),
                title: Type.String(),
                description: Type.String(),
                parameters: Type.Array(Type.String()),
                path: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      reports: reports.map((r) => ({
        name: r.name,
        title: r.title,
        description: r.description,
        parameters: [...parameterNames(r), 'format'],
        path: `/v1/reports/${r.name}`,
      })),
    }),
  )

  for (const report of reports) {
    app.get(
      `/v1/reports/${report.name}`,
      {
        config: { scope: 'read' },
        schema: {
          operationId: reportOperationId(report),
          tags: ['reports'],
          summary: report.title,
          description:
            `${report.description} Computed by replaying the log from the start, not from the read models. ` +
            'One caller may have REPORT_READS_PER_CALLER replays or NDJSON exports in progress at once (default 2; ' +
            'beyond that 429 with Retry-After); a statement of the replay running past REPORT_STATEMENT_TIMEOUT ' +
            '(default 60 s) is cancelled with a 503: ask for a long report as a job instead.',
          querystring: Type.Object(
            { ...parametersSchema(report), format: Type.Optional(Format) },
            { additionalProperties: false },
          ),
          response: { 200: fileResponse(report), ...problems, 429: ProblemResponse, 503: ProblemResponse },
        },
      },
      async (request, reply) => {
        const { format = 'json', ...given } = request.query as GivenParameters & { format?: ReportFormat }
        const parameters = resolveParameters(report, given, marketTz, Date.now())
        const release = slots.take(callerOf(request))
        try {
          const output = await replayReport(log, catalogue, report, parameters)
          return send(reply, report, output, given, format)
        } finally {
          release()
        }
      },
    )
  }

  // Any other name: a problem that lists the reports there are.
  app.get(
    '/v1/reports/:name',
    { config: { scope: 'read' }, schema: { hide: true, params: Type.Object({ name: Type.String() }) } },
    async (request) => {
      findReport(request.params.name)
    },
  )

  app.post(
    '/v1/reports/:name',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'requestReportJob',
        tags: ['reports'],
        summary: 'Replay a report in the background',
        description:
          'Queues the report as a job that a worker runs; follow it with GET /v1/reports/jobs/{jobId}. ' +
          'Dates not given mean the time of this request. Needs the read scope, like the report itself. ' +
          'One caller (an API key, or an address without one) may have REPORT_JOBS_PER_CALLER jobs queued or ' +
          'running (default 5); beyond that the answer is 429 with Retry-After, and nothing is queued.',
        params: Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) }),
        body: Type.Object(
          {
            asOf: Type.Optional(AsOf),
            knownAt: Type.Optional(KnownAt),
            from: Type.Optional(ValidFrom),
            to: Type.Optional(ValidTo),
          },
          { additionalProperties: false, description: "The report's parameters, as in its GET" },
        ),
        response: {
          202: Type.Object({ jobId: Uuid }),
          ...problems,
          429: ProblemResponse,
          503: ProblemResponse,
        },
      },
      // No body at all asks for the report with every date "now".
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const report = findReport(request.params.name)
      const given: GivenParameters = request.body
      const parameters = resolveParameters(report, given, marketTz, Date.now())
      if (!requestReport) {
        throw new DatabaseUnavailable('this process has no job queue; report jobs are queued by the API role')
      }
      const jobId = await requestReport({ caller: callerOf(request), report, given, parameters })
      return reply.code(202).header('location', `/v1/reports/jobs/${jobId}`).send({ jobId })
    },
  )

  app.get(
    '/v1/reports/jobs/:jobId',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getReportJob',
        tags: ['reports'],
        summary:
          'A report job: status, progress (events replayed of the total) and, when completed, the report',
        params: Type.Object({ jobId: Uuid }),
        response: { 200: ReportJobSchema(reports), ...problems },
      },
    },
    async (request) => {
      const stored = await reportJob(db, reports, request.params.jobId)
      if (!stored) throw new NotFound(`no report job ${request.params.jobId}`)
      return stored.job
    },
  )

  app.get(
    '/v1/reports/jobs/:jobId/result',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getReportJobResult',
        tags: ['reports'],
        summary: "A completed job's report as a file: JSON, CSV or Markdown",
        params: Type.Object({ jobId: Uuid }),
        querystring: Type.Object({ format: Type.Optional(Format) }, { additionalProperties: false }),
        response: {
          200: {
            description: 'The report, in the format asked for',
            content: {
              'application/json': { schema: Type.Union(reports.map(outputSchema)) },
              'text/csv': { schema: Type.String() },
              'text/markdown': { schema: Type.String() },
            },
          },
          ...problems,
          409: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      const stored = await reportJob(db, reports, request.params.jobId)
      if (!stored) throw new NotFound(`no report job ${request.params.jobId}`)
      const { job, report, given } = stored
      if (job.status !== 'completed' || !job.result) {
        throw new ReportNotReady(
          `report job ${job.jobId} is ${job.status}` +
            (job.status === 'running'
              ? ` (${job.progress.replayed} of ${job.progress.total ?? '?'} events)`
              : ''),
        )
      }
      return send(reply, report, job.result, given, request.query.format ?? 'json')
    },
  )
}
