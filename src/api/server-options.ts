import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import type { FastifyRequest } from 'fastify'
import type { Config, TrustProxy } from '../config.js'

/** The longest client-sent X-Request-Id that is logged (beside, never as, the request's own id). */
export const clientRequestIdMaxLength = 128

/**
 * How the HTTP server meets connections: whom it believes about the client's address, how long a
 * client may take to send its request, and what id a request gets. Node's `requestTimeout` covers
 * receiving the request only (headers and body): a long answer (a streamed log, a `consistentWith`
 * wait) runs past it, and is bounded instead by the idle timeout, which a streamed answer keeps
 * resetting by writing.
 */
export function serverOptions(config: Config) {
  const requestTimeout = config.requestTimeoutMs
  return {
    // Generated, never taken from the client: a client's id could be anything, of any length.
    requestIdHeader: false as const,
    genReqId: () => randomUUID(),
    trustProxy: trustProxyOption(config.trustProxy),
    requestTimeout,
    connectionTimeout: config.idleTimeoutMs,
    // Above the usual load balancer's 60 s, so the balancer closes an idle connection first and
    // never sends a request on one this server is closing.
    keepAliveTimeout: 72_000,
    http: {
      requestTimeout,
      // Headers are small: they get the lesser of 10 s and the whole request's time.
      headersTimeout: Math.min(10_000, requestTimeout),
      // Node checks the timeouts only this often (30 s by default), so it bounds how late they act.
      connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(requestTimeout / 4))),
    },
    clientErrorHandler: answerClientError,
  }
}

/**
 * Fastify treats a bare hop count as trusting nothing (a direct client could forge the hops), so a
 * count is given as the rule it stands for: the nearest `n` hops, the peer first, are proxies.
 */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust
  return typeof trust === 'boolean' ? trust : [...trust]
}

/** The request as logged: Fastify's usual fields, and the client's own request id, capped. */
export function requestForLog(request: FastifyRequest): Record<string, unknown> {
  const clientId = request.headers['x-request-id']
  return {
    method: request.method,
    url: request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
    ...(typeof clientId === 'string' && /^[\x21-\x7e]+$/.test(clientId)
      ? { clientRequestId: clientId.slice(0, clientRequestIdMaxLength) }
      : {}),
  }
}

/**
 * Errors on a connection before a request can be answered the usual way: a request not received
 * within REQUEST_TIMEOUT is a 408, headers too large a 431, anything else a 400, each as problem+json
 * written on the raw socket, which is then closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, title, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request timeout', 'The request was not received in time (REQUEST_TIMEOUT); send it again.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request headers too large', 'The request headers are too large.']
        : [400, 'Invalid input', 'The request is not valid HTTP.']
  const name = status === 408 ? 'request-timeout' : status === 431 ? 'headers-too-large' : 'invalid-input'
  const body = JSON.stringify({ type: `tag:market-timeline,2024:problem/${name}`, title, status, detail })
  // Only where no answer to this request has begun (as Node's own handler): else it would corrupt it.
  const answer = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage
  if (socket.writable && !answer?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
