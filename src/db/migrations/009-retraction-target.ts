import { type Kysely, sql } from 'kysely'

/**
 * Finds a fact's retractions by the id they retract: a subject's history looks up the first
 * retraction of each of its facts, which without this index reads every retraction in the log.
 * The expression is the one `src/store/sql/subject-facts.ts` joins on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index if not exists events_retraction_target
        on events (((data->>'eventId')::uuid), position)
     where type = 'event.retracted'
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists events_retraction_target`.execute(db)
}
