import type { RouteOptions } from 'fastify'
import { needsKey, requiredScope } from './auth.js'
import { problemResponse } from './schemas.js'

export interface AccessOptions {
  readonly readAccess: 'public' | 'key'
  /** Whether the rate limit applies to a route (off, or allowed through: false). */
  readonly rateLimited: (url: string) => boolean
}

/**
 * Writes each route's access into its schema from the rules the authentication hook applies, so
 * the OpenAPI document says who may call an operation and what it answers when refused:
 * `security` (a key, with the scope it needs as the role), 401 (no valid key where one is needed,
 * or a key that is not valid, on any route), 403 (a key without the scope), 429 (over the limit).
 */
export function documentAccess(route: RouteOptions, options: AccessOptions): void {
  const schema = route.schema
  if (!schema || schema.hide) return
  const scope = requiredScope(route.url, route.config?.scope)
  const keyNeeded = scope !== 'none' && needsKey(scope, options.readAccess)
  const refused = {
    401: problemResponse(
      keyNeeded
        ? `No valid API key: send Authorization: Bearer <key> with the ${scope} scope`
        : 'The API key sent is not valid, or has been revoked',
    ),
    ...(keyNeeded ? { 403: problemResponse(`The API key does not have the ${scope} scope`) } : {}),
    ...(options.rateLimited(route.url)
      ? { 429: problemResponse('More requests this minute than the rate limit allows; retry later') }
      : {}),
  }
  route.schema = {
    ...schema,
    security: keyNeeded ? [{ apiKey: [scope] }] : scope === 'none' ? [{}] : [{}, { apiKey: [scope] }],
    response: { ...(schema.response as object | undefined), ...refused },
  }
}
