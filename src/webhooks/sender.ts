import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { performance } from 'node:perf_hooks'
import { resolveEndpoint, UnsafeUrl } from './address-guard.js'

/** What one attempt to POST a delivery gave. */
export interface AttemptResult {
  readonly attemptedAt: Date
  readonly durationMs: number
  /** The response's status, if one came. */
  readonly statusCode: number | undefined
  /** Why there was no 2xx: a network error, a timeout, a redirect, a refused address. */
  readonly error: string | undefined
  /** The first 4 KiB of the response body. */
  readonly responseBody: string | undefined
  readonly retryAfter: string | undefined
}

export interface SendOptions {
  readonly timeoutMs: number
  readonly allowPrivate: boolean
  /** How the endpoint's host is resolved (the system's resolver unless given). */
  readonly lookup?: LookupFunction
}

const RESPONSE_LIMIT = 4096
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
}

/**
 * POSTs a signed body to an endpoint. Redirects are answers, not followed; the host is checked
 * against the address guard and the connection goes to the address that was checked: a second
 * DNS answer cannot swap it.
 */
export async function postWebhook(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: SendOptions,
): Promise<AttemptResult> {
  const attemptedAt = new Date()
  const started = performance.now()
  const done = (
    fields: Pick<AttemptResult, 'statusCode' | 'error' | 'responseBody' | 'retryAfter'>,
  ): AttemptResult => ({ attemptedAt, durationMs: Math.round(performance.now() - started), ...fields })

  let target: Awaited<ReturnType<typeof resolveEndpoint>>
  try {
    target = await resolveEndpoint(url, options.allowPrivate, options.lookup)
  } catch (error) {
    const reason = error instanceof UnsafeUrl ? `refused: the URL ${error.message}` : String(error)
    return done({ statusCode: undefined, error: reason, responseBody: undefined, retryAfter: undefined })
  }
  const parsed = new URL(url)
  const name = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  return new Promise((resolve) => {
    const request = (parsed.protocol === 'https:' ? https : http).request(
      parsed,
      {
        method: 'POST',
        agent: agents[parsed.protocol as 'http:' | 'https:'],
        // The connection goes to the address that was checked, and asks no resolver again; the
        // name still goes in the Host header and, for TLS, in SNI and the certificate check.
        hostname: target.address,
        family: target.family,
        servername: isIP(name) ? undefined : name,
        headers: {
          ...headers,
          host: parsed.host,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'market-timeline-webhooks',
        },
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = []
        let size = 0
        const finish = () => {
          const status = response.statusCode ?? 0
          const retryAfter = response.headers['retry-after']
          resolve(
            done({
              statusCode: status,
              error:
                status >= 300 && status < 400
                  ? `redirect to ${response.headers.location ?? '(no location)'} not followed`
                  : undefined,
              responseBody:
                size > 0 ? Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_LIMIT) : undefined,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
            }),
          )
        }
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_LIMIT) chunks.push(chunk.subarray(0, RESPONSE_LIMIT - size))
          size += chunk.length
          // The rest of a long answer is not wanted: stop reading and drop the connection.
          if (size >= RESPONSE_LIMIT) {
            response.destroy()
            finish()
          }
        })
        response.on('end', finish)
        response.on('error', () => finish())
      },
    )
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.name === 'TimeoutError' || error.name === 'AbortError'
          ? `no answer within ${options.timeoutMs} ms`
          : error.code === 'ECONNREFUSED'
            ? 'connection refused'
            : error.code
              ? `${error.code}: ${error.message}`
              : error.message
      resolve(done({ statusCode: undefined, error: reason, responseBody: undefined, retryAfter: undefined }))
    })
    request.end(body)
  })
}
