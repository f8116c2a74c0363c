import { randomUUID } from 'node:crypto'
import { type Kysely, sql, type Transaction, type UpdateObject } from 'kysely'
import type PgBoss from 'pg-boss'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { Database } from '../db/schema.js'
import { TooManyInProgress } from '../errors.js'
import type { ProjectorLog } from '../projector/projector.js'
import { describeParameters, type GivenParameters } from './parameters.js'
import { type ReportOutput, replayReport } from './replay.js'
import type { Report, ReportParameters } from './report.js'

/**
 * Long replays run as pg-boss jobs: any worker may take one, and a crashed worker's job is
 * retried after it expires. What a client follows — status, progress, result — is kept in
 * `report_jobs`, written by the worker after every page of the log.
 */
export const REPORT_QUEUE = 'report-run'

/** Finished jobs are kept this long, then removed when a new one is queued. */
const KEEP_FINISHED = '7 days'

export type ReportJobStatus = 'queued' | 'running' | 'completed' | 'failed'

export interface ReportJobRequest {
  /** Who asks (`key:<id>`, or `address:<ip>` without a key): its unfinished jobs are bounded. */
  readonly caller: string
  readonly report: Report
  readonly given: GivenParameters
  /** Resolved when the job was asked for, so that "now" means then, whenever a worker runs it. */
  readonly parameters: ReportParameters
}

/** Queues a report job and returns its id. */
export type RequestReport = (request: ReportJobRequest) => Promise<string>

interface StoredParameters extends ReportParameters {
  readonly given: GivenParameters
}

/** Report jobs keep their own expiry: a replay of a long log may take minutes. */
export const reportQueue: PgBoss.Queue = {
  name: REPORT_QUEUE,
  retryLimit: 3,
  retryDelay: 5,
  expireInSeconds: 900,
}

/** createQueue is idempotent: every process that sends or works report jobs makes sure the queue exists. */
async function ensureReportQueue(boss: PgBoss): Promise<void> {
  await boss.createQueue(REPORT_QUEUE, reportQueue)
}

/**
 * A job that pg-boss gave up on (its worker died on every retry: 4 tries of at most 15 minutes)
 * stays queued or running in `report_jobs`; past this age it no longer counts against its caller.
 */
const UNFINISHED_COUNTS_FOR = '2 hours'

/** How long a refused caller is told to wait: jobs take seconds to minutes. */
const RETRY_AFTER_SECONDS = 30

export interface ReportRequesterOptions {
  /** Jobs one caller may have queued or running; 0 = no limit. */
  readonly jobsPerCaller?: number
}

export function reportRequester(
  db: Kysely<Database>,
  boss: PgBoss,
  { jobsPerCaller = 5 }: ReportRequesterOptions = {},
): RequestReport {
  let queue: Promise<void> | undefined
  return async ({ caller, report, given, parameters }) => {
    queue ??= ensureReportQueue(boss).catch((error: unknown) => {
      queue = undefined
      throw error
    })
    await queue
    await db
      .deleteFrom('report_jobs')
      .where('finished_at', '<', sql<Date>`now() - ${KEEP_FINISHED}::interval`)
      .execute()
    const id = randomUUID()
    const stored: StoredParameters = { ...parameters, given }
    await db.transaction().execute(async (trx) => {
      if (jobsPerCaller > 0) await refuseBeyondLimit(trx, caller, jobsPerCaller)
      await trx
        .insertInto('report_jobs')
        .values({ id, report: report.name, parameters: JSON.stringify(stored), caller })
        .execute()
    })
    try {
      await boss.send(REPORT_QUEUE, { id }, { id })
    } catch (error) {
      await db.deleteFrom('report_jobs').where('id', '=', id).execute()
      throw error
    }
    return id
  }
}

/**
 * Counts the caller's unfinished jobs under a lock of its own (a transaction-scoped advisory lock
 * on the caller's name), so that concurrent requests of one caller cannot all pass the count.
 */
async function refuseBeyondLimit(trx: Transaction<Database>, caller: string, limit: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`report-jobs:${caller}`}, 0))`.execute(trx)
  const { rows } = await sql<{ unfinished: number }>`
    select count(*)::int as unfinished
      from report_jobs
     where caller = ${caller} and status in ('queued', 'running')
       and created_at > now() - ${UNFINISHED_COUNTS_FOR}::interval
  `.execute(trx)
  const unfinished = rows[0]?.unfinished ?? 0
  if (unfinished >= limit) {
    throw new TooManyInProgress(
      `${unfinished} report jobs of this caller are queued or running, the most one caller may have ` +
        `(REPORT_JOBS_PER_CALLER=${limit}); nothing was queued. Retry when one has finished.`,
      RETRY_AFTER_SECONDS,
    )
  }
}

export interface ReportWorkerDependencies {
  readonly db: Kysely<Database>
  readonly catalogue: Catalogue
  readonly reports: readonly Report[]
  readonly log: ProjectorLog
  /** Rows per page of the log; progress is stored after each page. */
  readonly pageSize?: number
}

export async function workReports(boss: PgBoss, deps: ReportWorkerDependencies): Promise<void> {
  await ensureReportQueue(boss)
  await boss.work<{ id: string }>(REPORT_QUEUE, { pollingIntervalSeconds: 1 }, async ([job]) => {
    if (job) await runReportJob(deps, job.data.id)
  })
}

/**
 * Replays the job's report, storing progress after every page. A report that fails is marked
 * failed (asking again will fail the same way); a database that fails under it fails the pg-boss
 * job, which is retried.
 */
async function runReportJob(deps: ReportWorkerDependencies, id: string): Promise<void> {
  const { db } = deps
  const row = await db.selectFrom('report_jobs').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) return
  const update = (values: UpdateObject<Database, 'report_jobs'>) =>
    db.updateTable('report_jobs').set(values).where('id', '=', id).execute()
  const report = deps.reports.find((r) => r.name === row.report)
  if (!report) {
    await update({ status: 'failed', error: `no report named ${row.report}`, finished_at: sql<Date>`now()` })
    return
  }
  const parameters = row.parameters as StoredParameters
  await update({ status: 'running', started_at: sql<Date>`now()`, replayed: 0, total: null, error: null })
  deps.log.info({ report: report.name, jobId: id }, 'replaying report')
  let output: ReportOutput
  try {
    output = await replayReport(db, deps.catalogue, report, parameters, {
      ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
      onProgress: async ({ replayed, total }) => {
        await update({ replayed, total })
      },
    })
  } catch (error) {
    deps.log.error({ report: report.name, jobId: id, err: error }, 'report failed')
    await update({ status: 'failed', error: String(error), finished_at: sql<Date>`now()` })
    return
  }
  await update({ status: 'completed', result: JSON.stringify(output), finished_at: sql<Date>`now()` })
  deps.log.info({ report: report.name, jobId: id, events: output.eventsReplayed }, 'report completed')
}

export interface ReportJob {
  readonly jobId: string
  readonly report: string
  readonly status: ReportJobStatus
  readonly parameters: Record<string, string | null>
  readonly progress: { readonly replayed: number; readonly total: number | null }
  readonly createdAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly error?: string
  readonly result?: ReportOutput
}

export interface StoredReportJob {
  readonly job: ReportJob
  readonly report: Report
  readonly given: GivenParameters
}

/** A job as a client follows it; undefined for an unknown id. */
export async function reportJob(
  db: Kysely<Database>,
  reports: readonly Report[],
  id: string,
): Promise<StoredReportJob | undefined> {
  const row = await db.selectFrom('report_jobs').selectAll().where('id', '=', id).executeTakeFirst()
  const report = reports.find((r) => r.name === row?.report)
  if (!row || !report) return undefined
  const parameters = row.parameters as StoredParameters
  const job: ReportJob = {
    jobId: row.id,
    report: row.report,
    status: row.status,
    parameters: describeParameters(report, parameters),
    progress: { replayed: row.replayed, total: row.total },
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.result !== null ? { result: row.result as ReportOutput } : {}),
  }
  return { job, report, given: parameters.given }
}
