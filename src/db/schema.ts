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

export type SubscriptionStatus = 'active' | 'paused' | 'disabled'
export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookSubscriptionsTable {
  id: string
  url: string
  types: string[]
  subjects: string[]
  description: string | null
  status: SubscriptionStatus
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_secret_until: Date | null
  start_position: number
  failing_since: Date | null
  created_at: ColumnType<Date, string | Date | undefined, never>
  updated_at: ColumnType<Date, string | Date | undefined>
}

export interface WebhookReplaysTable {
  id: string
  subscription_id: string
  from_position: number
  to_position: number
  position: number
  created_at: ColumnType<Date, string | Date | undefined, never>
  completed_at: Date | null
}

export interface WebhookDeliveriesTable {
  id: string
  seq: ColumnType<number, never, never>
  subscription_id: string
  event_position: number
  event_id: string
  replay_id: string | null
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined>
  next_attempt: ColumnType<number, number | undefined>
  attempt_count: ColumnType<number, number | undefined>
  job_id: string | null
  next_attempt_at: Date | null
  created_at: ColumnType<Date, string | Date | undefined, never>
  last_attempt_at: Date | null
  delivered_at: Date | null
}

export interface WebhookAttemptsTable {
  delivery_id: string
  attempt: number
  attempted_at: Date
  duration_ms: number
  status_code: number | null
  error: string | null
  response_body: string | null
}

export interface WebhookDispatcherTable {
  id: ColumnType<boolean, boolean | undefined, never>
  position: number
  updated_at: ColumnType<Date, string | Date | undefined>
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
  /** `key:<id>` or `address:<ip>`; null for jobs queued before callers were kept. */
  caller: ColumnType<string | null, string | null | undefined, never>
}

export interface Database {
  api_keys: ApiKeysTable
  events: EventsTable
  projections: ProjectionsTable
  projection_checkpoints: ProjectionCheckpointsTable
  webhook_subscriptions: WebhookSubscriptionsTable
  webhook_replays: WebhookReplaysTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
  webhook_dispatcher: WebhookDispatcherTable
  report_jobs: ReportJobsTable
}
