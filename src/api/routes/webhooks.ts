import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { DateTime } from 'luxon'
import type PgBoss from 'pg-boss'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import { typePatternRegex } from '../../catalogue/catalogue.js'
import { maxPosition, Slug } from '../../catalogue/fields.js'
import type { WebhookConfig } from '../../config.js'
import type { Database } from '../../db/schema.js'
import { DatabaseUnavailable, InvalidInput } from '../../errors.js'
import {
  checkSubscription,
  createSubscription,
  deleteSubscription,
  getReplay,
  getSecret,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  requestReplay,
  retryDelivery,
  rotateSecret,
  updateSubscription,
} from '../../webhooks/subscriptions.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface WebhookRoutesOptions {
  readonly db: Kysely<Database>
  readonly catalogue: Catalogue
  readonly config: WebhookConfig
  /** The job queue that sends deliveries; without it, retries and resumes are 503. */
  readonly boss: PgBoss | undefined
}

const Id = Type.String({ format: 'uuid' })
const SubscriptionStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('paused'),
  Type.Literal('disabled'),
])
const DeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
])
const DateTimeOrNull = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    'Where deliveries are POSTed: http(s), on a public address unless WEBHOOK_ALLOW_PRIVATE=true. Redirects are not followed.',
  examples: ['https://example.com/hooks/market'],
})
const Types = Type.Array(Type.String({ pattern: typePatternRegex, maxLength: 200 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'Event types or patterns (`price.*`, `*`). Default: every type.',
  examples: [['price.*', 'product.launched']],
})
const Subjects = Type.Array(Slug, {
  maxItems: 500,
  uniqueItems: true,
  description: 'Only events of these subjects. Empty (the default): every subject.',
})
const Description = Type.String({ maxLength: 500 })

const Subscription = Type.Object({
  id: Id,
  url: Type.String(),
  types: Type.Array(Type.String()),
  subjects: Type.Array(Type.String()),
  description: Type.Union([Type.String(), Type.Null()]),
  status: SubscriptionStatus,
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  failingSince: { ...DateTimeOrNull, description: 'Start of the current run of failed attempts' },
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
const Secret = Type.Object({
  secret: Type.String({ description: '`whsec_` and base64: verify with any Standard Webhooks library' }),
  previousSecretExpiresAt: {
    ...DateTimeOrNull,
    description: 'After a rotation, the previous secret also signs (a second signature) until then',
  },
})
const Attempt = Type.Object({
  attempt: Type.Integer(),
  attemptedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  responseBody: Type.Union([Type.String({ description: 'The first 4 KiB' }), Type.Null()]),
})
const Delivery = Type.Object({
  id: Type.String({ description: 'The webhook-id header: the same on every attempt' }),
  eventId: Id,
  eventPosition: Type.Integer(),
  eventType: Type.String(),
  subject: Type.String(),
  status: DeliveryStatus,
  replayId: Type.Union([Id, Type.Null()], { description: 'Set when a replay made this delivery' }),
  attemptCount: Type.Integer(),
  nextAttemptAt: DateTimeOrNull,
  createdAt: Type.String({ format: 'date-time' }),
  deliveredAt: DateTimeOrNull,
  attempts: Type.Array(Attempt),
})
const Replay = Type.Object({
  id: Id,
  subscriptionId: Id,
  fromPosition: Type.Integer(),
  toPosition: Type.Integer({ description: 'The head of the log when the replay was asked for' }),
  position: Type.Integer({ description: 'How far the replay has got' }),
  deliveries: Type.Integer({ description: 'Deliveries recorded so far' }),
  createdAt: Type.String({ format: 'date-time' }),
  completedAt: DateTimeOrNull,
})
const SubscriptionParams = Type.Object({ id: Id })
const problems = { 400: ProblemResponse, 404: ProblemResponse }
const tags = ['webhooks']

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  const { db, catalogue, config } = options
  const jobQueue = (): PgBoss => {
    if (!options.boss) throw new DatabaseUnavailable('this process has no job queue to send deliveries')
    return options.boss
  }

  app.post(
    '/v1/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Subscribe an endpoint to new facts',
        description:
          'The endpoint receives every fact recorded from now on that matches `types` and `subjects`, signed per ' +
          'Standard Webhooks with the secret returned here. History comes by `POST /v1/webhooks/{id}/replay`.',
        body: Type.Object(
          {
            url: Url,
            types: Type.Optional(Types),
            subjects: Type.Optional(Subjects),
            description: Type.Optional(Description),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...Subscription.properties, ...Secret.properties }), ...problems },
      },
    },
    async (request, reply) => {
      await checkSubscription(catalogue, config, request.body)
      const created = await createSubscription(db, request.body)
      return reply.code(201).send({ ...created, previousSecretExpiresAt: null })
    },
  )

  app.get(
    '/v1/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'Every subscription (without secrets)',
        response: { 200: Type.Array(Subscription), ...problems },
      },
    },
    async () => listSubscriptions(db),
  )

  app.get(
    '/v1/webhooks/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'getWebhook',
        tags,
        summary: 'One subscription',
        params: SubscriptionParams,
        response: { 200: Subscription, ...problems },
      },
    },
    async (request) => getSubscription(db, request.params.id),
  )

  app.patch(
    '/v1/webhooks/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Change a subscription; pause, disable or re-enable it',
        description:
          'A paused subscription keeps recording deliveries and sends none; a disabled one records none. ' +
          'Setting `status` to `active` clears the failure streak and sends every delivery that waited.',
        params: SubscriptionParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            types: Type.Optional(Types),
            subjects: Type.Optional(Subjects),
            description: Type.Optional(Type.Union([Description, Type.Null()])),
            status: Type.Optional(SubscriptionStatus),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Subscription, ...problems, 409: ProblemResponse },
      },
    },
    async (request) => {
      await checkSubscription(catalogue, config, request.body)
      return updateSubscription(db, options.boss, request.params.id, request.body)
    },
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete a subscription and its delivery log',
        params: SubscriptionParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problems },
      },
    },
    async (request, reply) => {
      await deleteSubscription(db, request.params.id)
      return reply.code(204).send(undefined as never)
    },
  )

  app.get(
    '/v1/webhooks/:id/secret',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'getWebhookSecret',
        tags,
        summary: 'The signing secret',
        params: SubscriptionParams,
        response: { 200: Secret, ...problems },
      },
    },
    async (request) => getSecret(db, request.params.id),
  )

  app.post(
    '/v1/webhooks/:id/secret/rotate',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'rotateWebhookSecret',
        tags,
        summary: 'Replace the signing secret; the old one also signs for 24 hours',
        params: SubscriptionParams,
        response: { 200: Secret, ...problems },
      },
    },
    async (request) => rotateSecret(db, request.params.id),
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'The delivery log, newest first, each delivery with every attempt',
        params: SubscriptionParams,
        querystring: Type.Object(
          {
            status: Type.Optional(DeliveryStatus),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
            next: Type.Optional(
              Type.Integer({ minimum: 1, maximum: maxPosition, description: "The previous page's `next`" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            deliveries: Type.Array(Delivery),
            next: Type.Union([Type.Integer(), Type.Null()], {
              description: 'Pass as `next` for the next page',
            }),
          }),
          ...problems,
        },
      },
    },
    async (request) =>
      listDeliveries(db, request.params.id, {
        status: request.query.status,
        before: request.query.next,
        limit: request.query.limit,
      }),
  )

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/retry',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'retryWebhookDelivery',
        tags,
        summary: 'Send one delivery again now (same webhook-id, one attempt)',
        params: Type.Object({ id: Id, deliveryId: Id }),
        response: {
          202: Type.Object({ deliveryId: Id, jobId: Id }),
          ...problems,
          409: ProblemResponse,
          503: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      const queued = await retryDelivery(db, jobQueue(), config, request.params.id, request.params.deliveryId)
      return reply.code(202).send(queued)
    },
  )

  app.post(
    '/v1/webhooks/:id/replay',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'replayWebhook',
        tags,
        summary: 'Send matching history again, as new deliveries marked with the replay',
        description:
          'Give `fromPosition` (the first log position to send) or `since` (facts recorded at or after this ' +
          'instant). The replay runs in the background up to the head of the log at the time of the request; ' +
          'follow it at `GET /v1/webhooks/{id}/replays/{replayId}`.',
        params: SubscriptionParams,
        body: Type.Object(
          {
            fromPosition: Type.Optional(Type.Integer({ minimum: 1, maximum: maxPosition })),
            since: Type.Optional(Type.String({ format: 'date-time', examples: ['2024-05-01T00:00:00Z'] })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Replay, ...problems, 409: ProblemResponse },
      },
    },
    async (request, reply) => {
      const { fromPosition, since } = request.body
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
      const replay = await requestReplay(db, request.params.id, {
        fromPosition,
        since: sinceDate?.toJSDate(),
      })
      return reply.code(202).send(replay)
    },
  )

  app.get(
    '/v1/webhooks/:id/replays/:replayId',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'getWebhookReplay',
        tags,
        summary: 'How far a replay has got',
        params: Type.Object({ id: Id, replayId: Id }),
        response: { 200: Replay, ...problems },
      },
    },
    async (request) => getReplay(db, request.params.id, request.params.replayId),
  )
}
