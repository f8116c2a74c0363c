import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import { createApiKey, type KeyVerifier, listApiKeys, revokeApiKey } from '../../auth/api-keys.js'
import type { Database } from '../../db/schema.js'
import { NotFound } from '../../errors.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface KeyRoutesOptions {
  readonly db: Kysely<Database>
  readonly verifier: KeyVerifier
}

const Scope = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')])
const KeyInfo = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  scopes: Type.Array(Scope),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
const problems = { 400: ProblemResponse }

export const keyRoutes: FastifyPluginAsync<KeyRoutesOptions> = async (fastify, { db, verifier }) => {
  const app = fastify as TypedApp

  app.post(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createApiKey',
        tags: ['keys'],
        summary: 'Create an API key (shown only in this answer)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            scopes: Type.Array(Scope, { minItems: 1, maxItems: 3, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ ...KeyInfo.properties, key: Type.String({ description: 'Shown only once' }) }),
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, request.body.name, request.body.scopes)
      return reply.code(201).send({ ...created, scopes: [...created.scopes] })
    },
  )

  app.get(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listApiKeys',
        tags: ['keys'],
        summary: 'Every API key, without key material',
        response: { 200: Type.Array(KeyInfo), ...problems },
      },
    },
    async () => (await listApiKeys(db)).map((k) => ({ ...k, scopes: [...k.scopes] })),
  )

  app.delete(
    '/v1/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['keys'],
        summary: 'Revoke an API key: it is refused from then on',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null({ description: 'Revoked' }), 404: ProblemResponse, ...problems },
      },
    },
    async (request, reply) => {
      if (!(await revokeApiKey(db, request.params.id))) throw new NotFound(`no API key ${request.params.id}`)
      verifier.forget(request.params.id)
      return reply.code(204).send(undefined as never)
    },
  )
}
