import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import { Uuid } from '../../catalogue/envelope.js'
import type { Database } from '../../db/schema.js'
import { DatabaseUnavailable, NotFound, ReportNotReady } from '../../errors.js'
import { formatMedia, type ReportFormat, renderReport } from '../../reports/formats.js'
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
import {
  Format,
  outputSchema,
  parametersSchema,
  ReportJobRequestSchema,
  ReportJobSchema,
  reportOperationId,
} from '../../reports/schemas.js'
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

const problems = { 400: ProblemResponse, 404: ProblemResponse }

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
        body: ReportJobRequestSchema,
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
