import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../config.js'

/** A field a problem named, and what is wrong with it (RFC 9457 `errors[]`). */
export interface ProblemField {
  readonly path: string
  readonly message: string
}

/** A 4xx answer: the caller's mistake, not retried. */
export class RefusedRequest extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: readonly ProblemField[],
  ) {
    super(`${status} ${detail}`)
  }
}

/** The service could not be reached, or kept failing (5xx), after every retry. */
export class Unreachable extends Error {}

export interface ServiceClient {
  readonly baseUrl: string
  /** A JSON request; 4xx throws RefusedRequest, 5xx, 429 and lost connections are retried, then Unreachable. */
  json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>
  /** A request whose body is read by the caller (a stream); retried like `json` until it answers 2xx. */
  open(path: string, accept: string, signal?: AbortSignal): Promise<Response>
}

export interface ClientOptions {
  readonly url: string
  readonly key?: string | undefined
  /** Waits before each retry, in ms (default: 0.5, 1, 2, 4, 8 s). */
  readonly retryDelaysMs?: readonly number[]
}

/**
 * The local service, as `npm start` listens with this configuration: HOST and PORT, with an
 * address that means "every interface" reached on loopback.
 */
export function localServiceUrl(config: Config): string {
  const host =
    config.host === '0.0.0.0' || config.host === '' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`
}

const defaultDelays = [500, 1000, 2000, 4000, 8000]
/** The longest wait a Retry-After may ask for before the next attempt. */
const MAX_WAIT_MS = 30_000

export function serviceClient({ url, key, retryDelaysMs = defaultDelays }: ClientOptions): ServiceClient {
  const baseUrl = url.replace(/\/+$/, '')
  const headers = (extra: Record<string, string>) => ({
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...extra,
  })

  async function attempt(path: string, init: RequestInit): Promise<Response> {
    let lastProblem = ''
    for (let tried = 0; ; tried++) {
      let waitMs = retryDelaysMs[tried]
      try {
        const response = await fetch(`${baseUrl}${path}`, init)
        if (response.ok) return response
        if (response.status < 500 && response.status !== 429) throw await refusal(response)
        lastProblem = `${response.status} ${await detailOf(response)}`
        const retryAfter = Number(response.headers.get('retry-after'))
        if (waitMs !== undefined && Number.isFinite(retryAfter) && retryAfter > 0)
          waitMs = Math.min(MAX_WAIT_MS, Math.max(waitMs, retryAfter * 1000))
      } catch (error) {
        if (error instanceof RefusedRequest || init.signal?.aborted) throw error
        lastProblem = describeFailure(error)
      }
      if (waitMs === undefined)
        throw new Unreachable(`${baseUrl}: ${lastProblem} (gave up after ${tried + 1} attempts)`)
      await sleep(waitMs)
    }
  }

  return {
    baseUrl,
    async json<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      const response = await attempt(path, {
        method,
        headers: headers({
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        }),
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      return { status: response.status, body: (await response.json()) as T }
    },
    open(path, accept, signal) {
      return attempt(path, { headers: headers({ accept }), ...(signal ? { signal } : {}) })
    },
  }
}

async function refusal(response: Response): Promise<RefusedRequest> {
  const text = await response.text()
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string; errors?: ProblemField[] }
    return new RefusedRequest(
      response.status,
      problem.detail ?? problem.title ?? response.statusText,
      Array.isArray(problem.errors) ? problem.errors : [],
    )
  } catch {
    return new RefusedRequest(response.status, text.slice(0, 200) || response.statusText, [])
  }
}

async function detailOf(response: Response): Promise<string> {
  const problem = await refusal(response)
  return problem.detail
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause as { code?: string; message?: string } | undefined
  return cause?.code ? `${cause.code} ${cause.message ?? ''}`.trim() : error.message
}

/** What a refused request says on one line, with a hint for the refusals a person can fix. */
export function describeRefusal(error: RefusedRequest): string {
  if (error.status === 401) return `401 ${error.detail}: pass a key with --key (npm run keys -- create …)`
  if (error.status === 403) return `403 ${error.detail}: the key needs the write scope (read for export)`
  return `${error.status} ${error.detail}`
}
