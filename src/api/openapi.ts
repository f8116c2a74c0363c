import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'

type Json = Record<string, unknown>

/**
 * The OpenAPI 3.1 document, built by @fastify/swagger from the route schemas. `servers` is the
 * relative `/`: the service that serves the document, at whatever address it is reached (a
 * container's, a proxy's, localhost), where a listening address would be wrong behind any of them.
 * Generated clients take their base URL from the caller.
 */
export function openApiOptions(version: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      servers: [{ url: '/', description: 'The service that serves this document' }],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'Authorization: Bearer <api key>. Each operation names the scope it needs (read, write or admin) as its role.',
          },
        },
      },
      security: [{ apiKey: [] }],
      info: {
        title: 'Market Timeline',
        version,
        license: { name: 'MIT', identifier: 'MIT' },
        description:
          'Every fact about a market as an immutable, dated event, answered as of any date and as known at any date.',
      },
      tags: [
        { name: 'events', description: 'The append-only log' },
        {
          name: 'read models',
          description: 'Point-in-time answers: asOf (valid time) and knownAt (transaction time)',
        },
        { name: 'projections', description: 'The background read models: status and rebuilds' },
        {
          name: 'webhooks',
          description: 'Signed, retried, replayable delivery of new facts (Standard Webhooks; admin)',
        },
        { name: 'reports', description: 'Reports computed by replaying the log: JSON, CSV or Markdown' },
        { name: 'keys', description: 'API keys (admin)' },
        { name: 'operations', description: 'Health and readiness' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) =>
      'openapiObject' in document ? nameEventInputs(document.openapiObject as Json) : document.swaggerObject,
  }
}

/**
 * The append body's events are one schema per event type, chosen by `type` (a discriminator).
 * In the document each becomes a named schema (`PriceChangedInput`) that the discriminator maps
 * to, so a client generator can select it; the validating schema keeps them inline.
 */
export function nameEventInputs(document: Json): Json {
  const paths = document.paths as Record<string, Record<string, Json>> | undefined
  const body = paths?.['/v1/events']?.post?.requestBody as Json | undefined
  const content = body?.content as Record<string, { schema?: Json }> | undefined
  const events = (content?.['application/json']?.schema?.properties as Json | undefined)?.events as
    | { items?: Json }
    | undefined
  const items = events?.items
  const discriminator = items?.discriminator as { propertyName: string } | undefined
  if (!items || !discriminator || !Array.isArray(items.oneOf)) return document

  const components = (document.components ?? {}) as Json
  const schemas = (components.schemas ?? {}) as Record<string, Json>
  const mapping: Record<string, string> = {}
  items.oneOf = (items.oneOf as Json[]).map((branch) => {
    const tag = branch.properties as Record<string, { const?: string; enum?: string[] }>
    const type = tag[discriminator.propertyName]?.const ?? tag[discriminator.propertyName]?.enum?.[0]
    if (!type) return branch
    const name = `${pascalCase(type)}Input`
    schemas[name] = branch
    mapping[type] = `#/components/schemas/${name}`
    return { $ref: mapping[type] }
  })
  items.discriminator = { ...discriminator, mapping }
  document.components = { ...components, schemas }
  return document
}

/** `alliance.member_joined` → `AllianceMemberJoined`. */
function pascalCase(name: string): string {
  return name
    .split(/[._-]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')
}
