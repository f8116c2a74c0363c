import { type Kysely, sql } from 'kysely'

/**
 * Who asked for a report job (`key:<id>`, or `address:<ip>` without a key), so that the jobs a
 * caller has queued or running can be counted and bounded. Jobs queued before are nobody's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table report_jobs add column caller text`.execute(db)
  await sql`
    create index report_jobs_unfinished_by_caller on report_jobs (caller, created_at)
     where status in ('queued', 'running')
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists report_jobs_unfinished_by_caller`.execute(db)
  await sql`alter table report_jobs drop column if exists caller`.execute(db)
}
