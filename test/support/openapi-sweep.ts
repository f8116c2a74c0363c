import { randomUUID } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { marketDateProblem } from '../../src/time/market-date.js'

/**
 * Reading the served OpenAPI document for a sweep: its operations and parameters, the fields of
 * each request body, a valid value for any schema, and whether the document allows a value.
 */

export type Schema = {
  readonly type?: string
  readonly $ref?: string
  readonly properties?: Readonly<Record<string, Schema>>
  readonly required?: readonly string[]
  readonly items?: Schema
  readonly anyOf?: readonly Schema[]
  readonly oneOf?: readonly Schema[]
  readonly enum?: readonly unknown[]
  readonly const?: unknown
  readonly examples?: readonly unknown[]
  readonly default?: unknown
  readonly format?: string
  readonly pattern?: string
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly minItems?: number
  readonly maxItems?: number
  readonly uniqueItems?: boolean
  readonly discriminator?: unknown
  readonly [keyword: string]: unknown
}

export interface Document {
  readonly paths: Record<string, Record<string, RawOperation>>
  readonly components: { readonly schemas: Record<string, Schema> }
}

interface RawOperation {
  readonly operationId: string
  readonly parameters?: ReadonlyArray<{ name: string; in: string; required?: boolean; schema: Schema }>
  readonly requestBody?: { content: Record<string, { schema: Schema }> }
  readonly responses: Record<string, unknown>
  readonly description?: string
}

export interface Parameter {
  readonly name: string
  readonly in: 'query' | 'path' | 'header'
  readonly required: boolean
  readonly schema: Schema
}

export interface Operation {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** As documented: `/v1/webhooks/{id}`. */
  readonly path: string
  readonly operationId: string
  readonly parameters: readonly Parameter[]
  /** The JSON request body's schema, its references resolved. */
  readonly body: Schema | undefined
  readonly responses: readonly string[]
  readonly description: string
}

export function operationsOf(document: Document): Operation[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, raw]) => {
      const body = raw.requestBody?.content['application/json']?.schema
      return {
        method: method.toUpperCase() as Operation['method'],
        path,
        operationId: raw.operationId,
        parameters: (raw.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in as Parameter['in'],
          required: p.required === true,
          schema: p.schema,
        })),
        body: body ? resolved(body, document) : undefined,
        responses: Object.keys(raw.responses),
        description: raw.description ?? '',
      }
    }),
  )
}

/** The schema with every `#/components/schemas/…` reference replaced by what it names. */
function resolved(schema: Schema, document: Document): Schema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '')
    const target = document.components.schemas[name]
    if (!target) throw new Error(`the document has no schema ${schema.$ref}`)
    return resolved(target, document)
  }
  const out: Record<string, unknown> = {}
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'discriminator') continue
    if (keyword === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, s]) => [k, resolved(s, document)]),
      )
    } else if (keyword === 'items') out.items = resolved(value as Schema, document)
    else if (keyword === 'anyOf' || keyword === 'oneOf') {
      out[keyword] = (value as Schema[]).map((s) => resolved(s, document))
    } else out[keyword] = value
  }
  return out as Schema
}

/** A field of a body: a JSON pointer into it and the schema there (a scalar, or an array). */
export interface BodyField {
  readonly pointer: string
  readonly schema: Schema
}

/** Every field a body schema defines, objects entered, arrays both as fields and entered at /0. */
export function bodyFields(schema: Schema, pointer = ''): BodyField[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties).flatMap(([name, property]) =>
      bodyFields(property, `${pointer}/${name}`),
    )
  }
  if (schema.type === 'array' && schema.items) {
    const inner = schema.items.type === 'object' ? bodyFields(schema.items, `${pointer}/0`) : []
    return [{ pointer, schema }, ...inner]
  }
  return [{ pointer, schema }]
}

const slugLike = ['sweep-subject', 'm', 'price.changed', 'price.*', 'CNY', '1', 'a']

/**
 * A value the schema allows, with every property (`optional`) or only the required ones. `n`
 * makes slugs, uuids and array items distinct between calls.
 */
export function exampleOf(schema: Schema, options: { optional: boolean; n?: number }): unknown {
  const n = options.n ?? 0
  if (schema.const !== undefined) return schema.const
  if (schema.enum) return schema.enum[0]
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return exampleOf(branches.find((b) => b.type !== 'null') ?? (branches[0] as Schema), options)
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([name]) => options.optional || schema.required?.includes(name))
          .map(([name, property]) => [name, exampleOf(property, options)]),
      )
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, (_, i) =>
        exampleOf(schema.items ?? {}, { ...options, n: n + i }),
      )
    case 'integer':
    case 'number':
      return schema.minimum ?? 0
    case 'boolean':
      return false
    case 'null':
      return null
    default:
      return stringExample(schema, n)
  }
}

function stringExample(schema: Schema, n: number): string {
  if (schema.format === 'uuid') return randomUUID()
  if (schema.format === 'market-date') return '2024-05'
  if (schema.format === 'date-time') return '2024-05-01T00:00:00Z'
  if (schema.format === 'uri') return 'https://example.com/source'
  const candidates = [
    ...(schema.pattern ? [] : [`sweep text ${n}`]),
    ...slugLike.map((s) => (n === 0 || !/^[a-z]/.test(s) ? s : `${s}${n}`)),
    ...(schema.examples ?? []).filter((e) => typeof e === 'string'),
  ]
  const fits = candidates.find((c) => documentAllows(schema, c, 'body'))
  if (fits === undefined) throw new Error(`no example fits ${JSON.stringify(schema)}`)
  return fits
}

/** `count` distinct values for an array's items, or as many as the item schema has. */
export function distinctItems(items: Schema, count: number): unknown[] {
  const values = items.enum ?? items.anyOf?.flatMap((b) => b.enum ?? [])
  if (values?.length) return Array.from({ length: count }, (_, i) => values[i % values.length])
  if (items.type === 'object')
    return Array.from({ length: count }, (_, n) => exampleOf(items, { optional: true, n }))
  return Array.from({ length: count }, (_, n) => stringExample(items, n + 1))
}

function withFormats(ajv: Ajv): Ajv {
  addFormats.default(ajv, ['uuid', 'uri', 'date-time'])
  ajv.addFormat('market-date', { type: 'string', validate: (text: string) => !marketDateProblem(text) })
  return ajv
}

/** As the document reads: bodies as JSON, parameters as text coerced to their type. */
const readers = {
  body: withFormats(new Ajv({ strict: false, coerceTypes: false })),
  parameter: withFormats(new Ajv({ strict: false, coerceTypes: true })),
}
const compiled = new Map<string, ValidateFunction>()

/**
 * Whether the document's schema allows `value` there. Text PostgreSQL cannot store (NUL, a lone
 * surrogate) is never allowed: no schema can promise to keep it.
 */
export function documentAllows(schema: Schema, value: unknown, part: 'body' | 'parameter'): boolean {
  if (containsUnstorableText(value)) return false
  const key = `${part}:${JSON.stringify(schema)}`
  let validate = compiled.get(key)
  if (!validate) {
    validate = readers[part].compile(schema)
    compiled.set(key, validate)
  }
  // Coercion writes into its argument: a parameter is checked on a copy. (Bodies are not coerced,
  // and may be too deep to copy.)
  return validate(part === 'parameter' ? structuredClone(value) : value)
}

function containsUnstorableText(value: unknown): boolean {
  const pending = [value]
  for (let next = pending.pop(), seen = 0; seen < 100_000; next = pending.pop(), seen++) {
    if (next === undefined) return false
    if (typeof next === 'string' && (next.includes('\u0000') || /\p{Cs}/u.test(next))) return true
    if (next !== null && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) pending.push(key, item)
    }
  }
  return false
}

/** The body with the text `raw` (JSON) at `pointer`, creating the objects on the way. */
export function bodyWith(base: unknown, pointer: string, raw: string): string {
  const marker = `\u2063hostile-${randomUUID()}\u2063`
  const body = structuredClone(base) as Record<string, unknown>
  const keys = pointer.split('/').slice(1)
  let at: Record<string, unknown> = body
  for (const key of keys.slice(0, -1)) {
    at[key] ??= {}
    at = at[key] as Record<string, unknown>
  }
  const last = keys.at(-1)
  if (last === undefined) return raw
  at[last] = marker
  return JSON.stringify(body).replace(JSON.stringify(marker), () => raw)
}
