import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { toFieldErrors } from '../catalogue/validation.js'
import { isDatabaseUnavailable } from '../db/availability.js'
import { isStatementTimeout } from '../db/connect.js'
import {
  ConcurrencyError,
  Conflict,
  DatabaseUnavailable,
  DomainError,
  type FieldError,
  Forbidden,
  IdConflict,
  InvalidDate,
  InvalidInput,
  NotFound,
  ReadModelBehind,
  ReportNotReady,
  TooManyInProgress,
  Unauthorized,
  UnsafeWebhookUrl,
} from '../errors.js'

/** RFC 9457 problem details. Every error the API returns has this shape. */
export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly errors?: readonly FieldError[]
  readonly requestId?: string
}

const problemType = (name: string) => `tag:market-timeline,2024:problem/${name}`

/** Problem types by HTTP status, for errors without a more specific one. */
const byStatus: Record<number, { type: string; title: string }> = {
  400: { type: problemType('invalid-input'), title: 'Invalid input' },
  404: { type: problemType('not-found'), title: 'Not found' },
  405: { type: problemType('method-not-allowed'), title: 'Method not allowed' },
  406: { type: problemType('not-acceptable'), title: 'Not acceptable' },
  409: { type: problemType('conflict'), title: 'Conflict' },
  413: { type: problemType('body-too-large'), title: 'Request body too large' },
  414: { type: problemType('uri-too-long'), title: 'URI too long' },
  415: { type: problemType('unsupported-media-type'), title: 'Unsupported media type' },
  429: { type: problemType('rate-limited'), title: 'Too many requests' },
  503: { type: problemType('unavailable'), title: 'Service unavailable' },
}

/** Problem types by error class; a subclass without an entry of its own takes its parent's. */
const domainTypes = new Map<unknown, string>([
  [ConcurrencyError, problemType('version-conflict')],
  [IdConflict, problemType('id-conflict')],
  [InvalidDate, problemType('invalid-date')],
  [InvalidInput, problemType('invalid-input')],
  [NotFound, problemType('not-found')],
  [Conflict, problemType('conflict')],
  [UnsafeWebhookUrl, problemType('unsafe-webhook-url')],
  [DatabaseUnavailable, problemType('database-unavailable')],
  [ReadModelBehind, problemType('read-model-behind')],
  [Unauthorized, problemType('unauthorized')],
  [Forbidden, problemType('forbidden')],
  [ReportNotReady, problemType('report-not-ready')],
  [TooManyInProgress, problemType('too-many-in-progress')],
])

export function domainTypeOf(error: DomainError): string {
  for (let kind = error.constructor; kind !== DomainError; kind = Object.getPrototypeOf(kind)) {
    const type = domainTypes.get(kind)
    if (type) return type
  }
  return problemType('error')
}

export function problem(status: number, detail: string, errors?: readonly FieldError[]): Problem {
  const known = byStatus[status] ?? { type: 'about:blank', title: 'Error' }
  return { ...known, status, detail, ...(errors?.length ? { errors } : {}) }
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  // Set here too: errors the router raises (frameworkErrors) are sent without the app's hooks.
  return reply
    .code(body.status)
    .header('x-request-id', reply.request.id)
    .type('application/problem+json; charset=utf-8')
    .send({ ...body, requestId: reply.request.id })
}

const parts: Record<string, string> = { body: '', querystring: '', params: '', headers: '' }

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) {
    const context = error.validationContext ?? 'body'
    const errors = toFieldErrors(error.validation as never, parts[context] ?? '')
    const where =
      context === 'body' ? 'request body' : context === 'querystring' ? 'query parameter' : 'path parameter'
    const first = errors[0]
    const count = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
    const detail = `Invalid ${where}${first ? ` ${first.path || '(root)'}: ${first.message}` : ''}${count}.${context === 'body' ? ' Nothing was stored.' : ''}`
    return sendProblem(reply, {
      ...problem(400, detail, errors),
      ...(context !== 'body' ? { in: context } : {}),
    })
  }
  if (error instanceof DomainError) {
    const body: Problem = {
      type: domainTypeOf(error),
      title: error.title,
      status: error.status,
      detail: error.message,
      ...(error.errors.length ? { errors: error.errors } : {}),
    }
    if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="market-timeline"')
    if (error instanceof TooManyInProgress) reply.header('retry-after', String(error.retryAfterSeconds))
    if (error.status === 503) {
      reply.header('retry-after', error.constructor.name === 'ReadModelBehind' ? '1' : '5')
    }
    return sendProblem(reply, body)
  }
  if (isStatementTimeout(error)) {
    request.log.warn({ err: error }, 'statement timeout')
    reply.header('retry-after', '30')
    return sendProblem(reply, {
      ...problem(
        503,
        'The database took longer than the statement timeout and the query was cancelled; nothing was stored by ' +
          'this request. Retry later; a long report can be asked for as a job (POST /v1/reports/{name}).',
      ),
      type: problemType('statement-timeout'),
    })
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable')
    reply.header('retry-after', '5')
    return sendProblem(reply, {
      ...problem(503, 'The database is not answering; retry shortly. Nothing was stored by this request.'),
      type: problemType('database-unavailable'),
    })
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return sendProblem(reply, problem(status, clientMessage(error)))
  }
  request.log.error({ err: error }, 'request failed')
  return sendProblem(reply, {
    type: problemType('internal'),
    title: 'Internal error',
    status: 500,
    detail: 'The request failed on our side; it has been logged with this request id.',
  })
}

/** The longest path segment the router matches (find-my-way's `maxParamLength`). */
export const maxParamLength = 500

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return `A path segment is longer than ${maxParamLength} characters; no identifier is that long.`
    case 'FST_ERR_BAD_URL':
      return 'The path is not valid percent-encoded UTF-8.'
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than the 1 MiB limit; split the batch.'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send the body as application/json.'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The body is empty; send a JSON document.'
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return `The body is not valid JSON: ${error.message}`
    default:
      return error.message
  }
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, problem(404, `No route ${request.method} ${request.url.split('?')[0]}`))
}
