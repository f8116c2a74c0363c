import { type Kysely, sql } from 'kysely'

/**
 * Report jobs: a long replay queued with POST /v1/reports/:name runs on pg-boss; this table
 * keeps what a client follows — status, progress (events replayed of the total) and the result.
 * The id is the pg-boss job's id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table report_jobs (
      id uuid primary key,
      report text not null,
      parameters jsonb not null,
      status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed')),
      replayed bigint not null default 0,
      total bigint,
      result jsonb,
      error text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    )
  `.execute(db)
  await sql`create index report_jobs_finished_at on report_jobs (finished_at)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists report_jobs`.execute(db)
}
