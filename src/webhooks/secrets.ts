import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.js'
import { NotFound } from '../errors.js'
import type { Secret } from './schemas/secret.js'
import { newSecret } from './signing.js'

/** A rotated secret still signs (beside the new one) for this long. */
export const ROTATION_GRACE_MS = 24 * 3600 * 1000

export async function getSecret(db: Kysely<Database>, id: string): Promise<Secret> {
  const row = await db
    .selectFrom('webhook_subscriptions')
    .select(['secret', 'previous_secret_until'])
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw new NotFound(`no webhook subscription ${id}`)
  const until = row.previous_secret_until
  return {
    secret: row.secret,
    previousSecretExpiresAt: until && until.getTime() > Date.now() ? until.toISOString() : null,
  }
}

/** A new secret; the old one keeps signing beside it for 24 hours. */
export async function rotateSecret(db: Kysely<Database>, id: string): Promise<Secret> {
  const secret = newSecret()
  const until = new Date(Date.now() + ROTATION_GRACE_MS)
  const row = await db
    .updateTable('webhook_subscriptions')
    .set({
      previous_secret: sql<string>`secret`,
      previous_secret_until: until,
      secret,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst()
  if (!row) throw new NotFound(`no webhook subscription ${id}`)
  return { secret, previousSecretExpiresAt: until.toISOString() }
}
