import { type Kysely, sql } from 'kysely'
import type PgBoss from 'pg-boss'
import type { Database } from '../db/schema.js'
import { Conflict, NotFound } from '../errors.js'
import { jobsWithin } from '../jobs.js'
import { queueDeliveries } from './delivery-jobs.js'
import type { Subscription, SubscriptionChange } from './schemas/subscription.js'
import { checkSubscription, type SubscriptionRules, toSubscription } from './subscriptions.js'

/** Checks a change and makes it. */
export async function changeSubscription(
  rules: SubscriptionRules & { readonly boss: PgBoss | undefined },
  id: string,
  change: SubscriptionChange,
): Promise<Subscription> {
  await checkSubscription(rules.catalogue, rules.config, change)
  return updateSubscription(rules.db, rules.boss, id, change)
}

/**
 * Changes a subscription. Making it active again clears its failing streak and queues every
 * delivery that waited while it was paused or disabled.
 */
export async function updateSubscription(
  db: Kysely<Database>,
  boss: PgBoss | undefined,
  id: string,
  change: SubscriptionChange,
): Promise<Subscription> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('webhook_subscriptions')
      .select('status')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst()
    if (!current) throw new NotFound(`no webhook subscription ${id}`)
    const reactivated = change.status === 'active' && current.status !== 'active'
    if (reactivated && !boss) throw new Conflict('this process has no job queue to resume deliveries')
    const row = await trx
      .updateTable('webhook_subscriptions')
      .set({
        ...(change.url !== undefined ? { url: change.url } : {}),
        ...(change.types !== undefined ? { types: [...change.types] } : {}),
        ...(change.subjects !== undefined ? { subjects: [...change.subjects] } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
        ...(change.status === 'active' ? { disabled_reason: null, failing_since: null } : {}),
        ...(change.status === 'disabled' && current.status !== 'disabled'
          ? { disabled_reason: 'disabled by an administrator' }
          : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
    if (reactivated && boss) {
      const waiting = await sql<{ id: string; job_id: string }>`
        update webhook_deliveries set job_id = gen_random_uuid(), next_attempt_at = now()
        where subscription_id = ${id} and status = 'pending' and job_id is null
        returning id, job_id
      `.execute(trx)
      await queueDeliveries(
        trx,
        boss,
        jobsWithin(trx),
        waiting.rows.map((r) => ({ deliveryId: r.id, jobId: r.job_id })),
      )
    }
    return toSubscription(row)
  })
}
