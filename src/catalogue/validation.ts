import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FieldError } from '../errors.js'
import { marketDateDescription, marketDateProblem } from '../time/market-date.js'
import type { Catalogue } from './catalogue.js'
import { appendRequestSchema, type EventInput } from './envelope.js'
import { webAddressPattern } from './fields.js'
import { findUnstorableText } from './storable-text.js'

function withFormats(ajv: Ajv): Ajv {
  addFormats.default(ajv, ['uuid', 'uri', 'date-time'])
  ajv.addFormat('market-date', {
    type: 'string',
    validate: (text: string) => marketDateProblem(text) === undefined,
  })
  return ajv
}

/**
 * Bodies are checked strictly: no type coercion (an amount sent as a JSON number is an
 * error, not silently turned into a string), unknown properties rejected, every error reported.
 */
export const bodyAjv = withFormats(
  new Ajv({
    allErrors: true,
    coerceTypes: false,
    removeAdditional: false,
    discriminator: true,
    verbose: true,
    strict: false,
  }),
)

/** Query strings and path parameters arrive as text: numbers are coerced, defaults filled in. */
export const parameterAjv = withFormats(
  new Ajv({
    allErrors: true,
    coerceTypes: true,
    useDefaults: true,
    removeAdditional: false,
    verbose: true,
    strict: false,
  }),
)

type ValidationContext = Parameters<ValidateFunction>[1]

/** A request part's check: its schema, and text PostgreSQL can store. Fastify reads `errors`. */
export interface RequestValidator {
  (data: unknown, context?: ValidationContext): boolean
  errors: ErrorObject[] | null
}

/**
 * The schema's check, then every string of the part (any field of any body, query or path) for
 * text PostgreSQL cannot store: those errors come first, each at its own field.
 */
export function compileRequestValidator(ajv: Ajv, schema: object): RequestValidator {
  const validate = ajv.compile(schema)
  const check: RequestValidator = Object.assign(
    (data: unknown, context?: ValidationContext) => {
      const valid = validate(data, context)
      const errors = [...findUnstorableText(data), ...(valid ? [] : (validate.errors ?? []))]
      check.errors = errors.length > 0 ? errors : null
      return errors.length === 0
    },
    // Fastify passes the parent object (so Ajv may coerce a root value) only to Ajv's own functions.
    { errors: null, schemaEnv: validate.schemaEnv },
  )
  return check
}

const MAX_REPORTED = 50

/** Ajv's errors as JSON-pointer paths that name the offending field, with a readable message. */
export function toFieldErrors(errors: readonly ErrorObject[], prefix = ''): FieldError[] {
  const seen = new Set<string>()
  const result: FieldError[] = []
  for (const error of errors) {
    const fieldError = describe(error, prefix)
    const key = `${fieldError.path}\u0000${fieldError.message}`
    if (seen.has(key)) continue
    seen.add(key)
    result.push(fieldError)
    if (result.length === MAX_REPORTED) break
  }
  return result
}

function describe(error: ErrorObject, prefix: string): FieldError {
  const at = `${prefix}${error.instancePath}`
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return { path: `${at}/${String(params.missingProperty)}`, message: 'is required' }
    case 'additionalProperties':
      return { path: `${at}/${String(params.additionalProperty)}`, message: 'is not a known field' }
    case 'discriminator':
      return {
        path: `${at}/${String(params.tag)}`,
        message:
          params.error === 'mapping'
            ? `unknown event type ${JSON.stringify(params.tagValue)}`
            : 'must be a string naming an event type',
      }
    case 'format':
      if (params.format === 'market-date') {
        const problem = typeof error.data === 'string' ? marketDateProblem(error.data) : undefined
        return { path: at, message: problem ?? `expected ${marketDateDescription}` }
      }
      return { path: at, message: `must be a valid ${String(params.format)}` }
    case 'pattern':
      if (params.pattern === webAddressPattern) return { path: at, message: 'must be an http or https URL' }
      return { path: at, message: `${quoted(error.data)} does not match ${String(params.pattern)}` }
    default:
      return { path: at, message: error.message ?? 'is invalid' }
  }
}

/** The offending value, cut short: a 10,000-character parameter is not echoed back whole. */
function quoted(data: unknown): string {
  const text = JSON.stringify(data) ?? String(data)
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

/** The same check `POST /v1/events` applies, for writers that do not come through HTTP (seeds). */
export function compileAppendValidator(catalogue: Catalogue): (body: unknown) => FieldError[] {
  const validate = compileRequestValidator(bodyAjv, appendRequestSchema(catalogue))
  return (body) =>
    validate(body)
      ? assumedPointerErrors((body as { events: EventInput[] }).events)
      : toFieldErrors(validate.errors ?? [])
}

/**
 * Every `source.assumed` pointer that names no value of its own event, at its own field
 * (`/events/0/source/assumed/1`): a mark on nothing is a mistake, not a mark. Run after the schema.
 */
export function assumedPointerErrors(events: readonly EventInput[]): FieldError[] {
  const errors: FieldError[] = []
  events.forEach((event, i) => {
    event.source?.assumed?.forEach((pointer, j) => {
      if (!resolvesIn(event, pointer))
        errors.push({
          path: `/events/${i}/source/assumed/${j}`,
          message: `${quoted(pointer)} names no value of this event`,
        })
    })
  })
  return errors
}

function resolvesIn(root: unknown, pointer: string): boolean {
  let at = root
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~')
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= at.length) return false
      at = at[Number(key)]
    } else if (at !== null && typeof at === 'object' && Object.hasOwn(at, key)) {
      at = (at as Record<string, unknown>)[key]
    } else return false
  }
  return at !== undefined
}

export type { EventInput }
