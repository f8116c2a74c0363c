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

export interface Database {
  events: EventsTable
}
