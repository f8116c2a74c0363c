import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { DateTime } from 'luxon'
import { channels } from '../db/channels.js'
import type { Database } from '../db/schema.js'
import { Conflict, InvalidInput, NotFound } from '../errors.js'
import { headPosition } from '../store/sql/head.js'
import { firstPositionRecordedSince } from '../store/sql/positions.js'
import type { Replay, ReplayRequest } from './schemas/replay.js'
import { getSubscription } from './subscriptions.js'

/**
 * Where a replay starts, from a body its schema has checked. Two rules the schema does not say:
 * exactly one of the two is given (as a schema rule it would change the published document and
 * Ajv's answer), and `since` is a date-time luxon reads (Ajv's format also takes a space for
 * the `T`, and leap seconds).
 */
export function replayStart(request: ReplayRequest): { fromPosition?: number; since?: Date } {
  const { fromPosition, since } = request
  if ((fromPosition === undefined) === (since === undefined)) {
    const path = fromPosition === undefined ? '/fromPosition' : '/since'
    throw new InvalidInput('give either fromPosition or since, not both and not neither', [
      { path, message: 'give exactly one of fromPosition and since' },
    ])
  }
  const sinceDate = since === undefined ? undefined : DateTime.fromISO(since, { setZone: true })
  if (sinceDate && !sinceDate.isValid) {
    throw new InvalidInput(`/since: '${since}' is not a date-time`, [
      { path: '/since', message: 'not a date-time' },
    ])
  }
  return { fromPosition, since: sinceDate?.toJSDate() }
}

/**
 * Queues history for sending again: every matching event from `fromPosition`, or recorded since
 * `since`, up to the head now. The dispatcher records new deliveries (marked with the replay)
 * in batches, so a long replay does not hold the request.
 */
export async function requestReplay(
  db: Kysely<Database>,
  subscriptionId: string,
  request: ReplayRequest,
): Promise<Replay> {
  const from = replayStart(request)
  const id = await db.transaction().execute(async (trx) => {
    const subscription = await getSubscription(trx, subscriptionId)
    if (subscription.status === 'disabled') {
      throw new Conflict('the subscription is disabled; make it active (PATCH status) before replaying')
    }
    const first = from.fromPosition ?? (await firstPositionRecordedSince(trx, from.since ?? new Date(0)))
    const to = await headPosition(trx)
    const start = first ?? to + 1
    const replayId = randomUUID()
    await trx
      .insertInto('webhook_replays')
      .values({
        id: replayId,
        subscription_id: subscriptionId,
        from_position: start,
        to_position: to,
        position: start - 1,
        completed_at: start > to ? new Date() : null,
      })
      .execute()
    // Wakes the dispatchers, which listen for appends.
    await sql`select pg_notify(${channels.events}, 'replay')`.execute(trx)
    return replayId
  })
  return getReplay(db, subscriptionId, id)
}

export async function getReplay(db: Kysely<Database>, subscriptionId: string, id: string): Promise<Replay> {
  const row = await db
    .selectFrom('webhook_replays as r')
    .select([
      'r.id',
      'r.subscription_id',
      'r.from_position',
      'r.to_position',
      'r.position',
      'r.created_at',
      'r.completed_at',
      (eb) =>
        eb
          .selectFrom('webhook_deliveries as d')
          .select((c) => c.fn.countAll<number>().as('n'))
          .whereRef('d.replay_id', '=', 'r.id')
          .as('deliveries'),
    ])
    .where('r.id', '=', id)
    .where('r.subscription_id', '=', subscriptionId)
    .executeTakeFirst()
  if (!row) throw new NotFound(`no replay ${id} for webhook subscription ${subscriptionId}`)
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    fromPosition: row.from_position,
    toPosition: row.to_position,
    position: Math.max(row.position, row.from_position - 1),
    deliveries: Number(row.deliveries ?? 0),
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  }
}
