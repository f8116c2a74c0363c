import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import type PgBoss from 'pg-boss'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import type { WebhookConfig } from '../../config.js'
import type { Database } from '../../db/schema.js'
import { DatabaseUnavailable } from '../../errors.js'
import { listDeliveries, retryDelivery } from '../../webhooks/delivery-log.js'
import { getReplay, requestReplay } from '../../webhooks/replays.js'
import {
  DeliveryLogPageSchema,
  DeliveryLogQuerySchema,
  QueuedRetrySchema,
} from '../../webhooks/schemas/delivery.js'
import { Id } from '../../webhooks/schemas/fields.js'
import { ReplayRequestSchema, ReplaySchema } from '../../webhooks/schemas/replay.js'
import { SecretSchema } from '../../webhooks/schemas/secret.js'
import {
  SubscribedSchema,
  SubscriptionChangeSchema,
  SubscriptionInputSchema,
  SubscriptionSchema,
} from '../../webhooks/schemas/subscription.js'
import { getSecret, rotateSecret } from '../../webhooks/secrets.js'
import { changeSubscription } from '../../webhooks/subscription-changes.js'
import {
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  subscribe,
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

const SubscriptionParams = Type.Object({ id: Id })
const problems = { 400: ProblemResponse, 404: ProblemResponse }
const tags = ['webhooks']

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  const { db, config } = options
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
        body: SubscriptionInputSchema,
        response: { 201: SubscribedSchema, ...problems },
      },
    },
    async (request, reply) => reply.code(201).send(await subscribe(options, request.body)),
  )

  app.get(
    '/v1/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'Every subscription (without secrets)',
        response: { 200: Type.Array(SubscriptionSchema), ...problems },
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
        response: { 200: SubscriptionSchema, ...problems },
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
        body: SubscriptionChangeSchema,
        response: { 200: SubscriptionSchema, ...problems, 409: ProblemResponse },
      },
    },
    async (request) => changeSubscription(options, request.params.id, request.body),
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
        response: { 200: SecretSchema, ...problems },
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
        response: { 200: SecretSchema, ...problems },
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
        querystring: DeliveryLogQuerySchema,
        response: { 200: DeliveryLogPageSchema, ...problems },
      },
    },
    async (request) => listDeliveries(db, request.params.id, request.query),
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
          202: QueuedRetrySchema,
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
        body: ReplayRequestSchema,
        response: { 202: ReplaySchema, ...problems, 409: ProblemResponse },
      },
    },
    async (request, reply) => reply.code(202).send(await requestReplay(db, request.params.id, request.body)),
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
        response: { 200: ReplaySchema, ...problems },
      },
    },
    async (request) => getReplay(db, request.params.id, request.params.replayId),
  )
}
