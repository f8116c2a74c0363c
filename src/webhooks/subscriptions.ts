import { randomUUID } from 'node:crypto'
import type { Kysely, Selectable } from 'kysely'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { WebhookConfig } from '../config.js'
import type { Database, WebhookSubscriptionsTable } from '../db/schema.js'
import { InvalidInput, NotFound, UnsafeWebhookUrl } from '../errors.js'
import { logHead } from '../store/sql/head.js'
import { resolveEndpoint, UnsafeUrl } from './address-guard.js'
import type {
  Subscribed,
  Subscription,
  SubscriptionChange,
  SubscriptionInput,
} from './schemas/subscription.js'
import { newSecret } from './signing.js'

/** What a subscription is checked against when it is made or changed. */
export interface SubscriptionRules {
  readonly db: Kysely<Database>
  readonly catalogue: Catalogue
  readonly config: WebhookConfig
}

export function toSubscription(row: Selectable<WebhookSubscriptionsTable>): Subscription {
  return {
    id: row.id,
    url: row.url,
    types: row.types,
    subjects: row.subjects,
    description: row.description,
    status: row.status,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** Refuses a URL into a private network and type patterns that name nothing in the catalogue. */
export async function checkSubscription(
  catalogue: Catalogue,
  config: WebhookConfig,
  input: Pick<SubscriptionChange, 'url' | 'types'>,
): Promise<void> {
  input.types?.forEach((pattern, i) => {
    if (catalogue.typesMatching(pattern).length === 0) {
      throw new InvalidInput(`/types/${i}: '${pattern}' matches no event type`, [
        { path: `/types/${i}`, message: `'${pattern}' matches no event type in the catalogue` },
      ])
    }
  })
  if (input.url !== undefined) {
    try {
      await resolveEndpoint(input.url, config.allowPrivate)
    } catch (error) {
      if (error instanceof UnsafeUrl) throw new UnsafeWebhookUrl('/url', error.message)
      throw error
    }
  }
}

/** Checks and creates a subscription: the answer to its creator, with the secret. */
export async function subscribe(rules: SubscriptionRules, input: SubscriptionInput): Promise<Subscribed> {
  await checkSubscription(rules.catalogue, rules.config, input)
  const created = await createSubscription(rules.db, input)
  return { ...created, previousSecretExpiresAt: null }
}

/** A new subscription receives the facts recorded after it, and its secret (shown this once). */
export async function createSubscription(
  db: Kysely<Database>,
  input: SubscriptionInput,
): Promise<Subscription & { secret: string }> {
  const secret = newSecret()
  const row = await db
    .insertInto('webhook_subscriptions')
    .values({
      id: randomUUID(),
      url: input.url,
      types: [...(input.types ?? ['*'])],
      subjects: [...(input.subjects ?? [])],
      description: input.description ?? null,
      status: 'active',
      disabled_reason: null,
      secret,
      previous_secret: null,
      previous_secret_until: null,
      start_position: logHead,
      failing_since: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...toSubscription(row), secret }
}

export async function listSubscriptions(db: Kysely<Database>): Promise<Subscription[]> {
  const rows = await db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').execute()
  return rows.map(toSubscription)
}

export async function getSubscription(db: Kysely<Database>, id: string): Promise<Subscription> {
  const row = await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw new NotFound(`no webhook subscription ${id}`)
  return toSubscription(row)
}

export async function deleteSubscription(db: Kysely<Database>, id: string): Promise<void> {
  const result = await db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst()
  if (result.numDeletedRows === 0n) throw new NotFound(`no webhook subscription ${id}`)
}
