import type { ColumnType, Generated } from 'kysely'

/** The `events` table: the append-only log. Rows are only ever inserted by `mt_append_events`. */
export interface EventsTable {
  position: Generated<number>
  id: string
  type: string
  schema_version: number
  subject: string
  version: number
  occurred_at: string
  precision: string
  effective_from: ColumnType<Date, string, never>
  recorded_at: ColumnType<Date, string, never>
  data: ColumnType<unknown, string, never>
  source: ColumnType<unknown | null, string | null, never>
}

export interface ProjectionsTable {
  name: string
  live_generation: number
  building_generation: number | null
  rebuild_job_id: string | null
  status: ColumnType<'running' | 'failing', 'running' | 'failing' | undefined>
  failures: ColumnType<number, number | undefined>
  last_error: string | null
  last_error_at: ColumnType<Date | null, string | Date | null | undefined>
}

export interface ProjectionCheckpointsTable {
  name: string
  generation: number
  position: ColumnType<number, number | undefined>
  updated_at: ColumnType<Date, string | Date | undefined>
}

export interface ApiKeysTable {
  id: string
  name: string
  scopes: string[]
  secret_hash: Buffer
  created_at: ColumnType<Date, string | Date | undefined, never>
  last_used_at: ColumnType<Date | null, string | Date | null | undefined>
  revoked_at: ColumnType<Date | null, string | Date | null | undefined>
}

export interface ReportJobsTable {
  id: string
  report: string
  parameters: ColumnType<unknown, string, never>
  status: ColumnType<
    'queued' | 'running' | 'completed' | 'failed',
    'queued' | 'running' | 'completed' | 'failed' | undefined
  >
  replayed: ColumnType<number, number | undefined>
  total: number | null
  result: ColumnType<unknown | null, string | null | undefined>
  error: string | null
  created_at: ColumnType<Date, string | Date | undefined, never>
  started_at: ColumnType<Date | null, string | Date | null | undefined>
  finished_at: ColumnType<Date | null, string | Date | null | undefined>
}

export interface Database {
  api_keys: ApiKeysTable
  events: EventsTable
  projections: ProjectionsTable
  projection_checkpoints: ProjectionCheckpointsTable
  report_jobs: ReportJobsTable
}
