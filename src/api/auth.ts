import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { allows, type Caller, type KeyVerifier, type Scope } from '../auth/api-keys.js'
import { Forbidden, Unauthorized } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; `none` for operations and docs. Unset under /v1/: admin (fail closed). */
    scope?: Scope | 'none'
  }
  interface FastifyRequest {
    caller?: Caller
  }
}

export interface AuthOptions {
  readonly verifier: KeyVerifier
  readonly readAccess: 'public' | 'key'
  /**
   * Counts a refused request (401) against the rate limit; throws the 429 once it is exceeded.
   * Unset: refusals are not limited.
   */
  readonly countRefusal?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
}

/** The scope a route needs: its own, else admin under /v1/ and none elsewhere. */
export function requiredScope(url: string | undefined, scope: Scope | 'none' | undefined): Scope | 'none' {
  return scope ?? (url?.startsWith('/v1/') ? 'admin' : 'none')
}

/** Whether a route with this scope needs a key at all (reads may be public: READ_ACCESS). */
export function needsKey(scope: Scope | 'none', readAccess: 'public' | 'key'): boolean {
  return !(scope === 'none' || (scope === 'read' && readAccess === 'public'))
}

/**
 * `Authorization: Bearer <key>` on every request: 401 without a valid key where one is needed
 * (or with a key that is not valid, anywhere), 403 with a key that lacks the scope.
 */
export const authentication = fp(async (app: FastifyInstance, options: AuthOptions) => {
  const { verifier, readAccess, countRefusal } = options
  app.addHook('onRequest', async (request, reply) => {
    const refuse = async (detail: string): Promise<never> => {
      await countRefusal?.(request, reply)
      throw new Unauthorized(detail)
    }
    const header = request.headers.authorization
    if (header !== undefined) {
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1]
      if (!token) return refuse('use the header Authorization: Bearer <api key>')
      const caller = await verifier.verify(token)
      if (!caller) return refuse('the API key is not valid, or has been revoked')
      request.caller = caller
    }
    const scope = requiredScope(request.routeOptions.url, request.routeOptions.config.scope)
    if (scope === 'none' || !needsKey(scope, readAccess)) return
    if (!request.caller) return refuse(`this endpoint needs an API key with the ${scope} scope`)
    if (!allows(request.caller, scope)) {
      throw new Forbidden(
        `this endpoint needs the ${scope} scope; the key has ${request.caller.scopes.join(', ')}`,
      )
    }
  })
})
