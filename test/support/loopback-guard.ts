import dns from 'node:dns'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'
import { afterEach, expect } from 'vitest'

/**
 * Tests reach loopback only. In every test process, a connection to any other address is
 * refused before a packet is sent, and fails the test that is running; a name lookup for
 * anything but localhost answers "not found" without asking a resolver.
 */
const refused: string[] = []

const isLoopback = (host: unknown): boolean =>
  host === undefined ||
  host === 'localhost' ||
  host === '::1' ||
  (typeof host === 'string' && /^(::ffff:)?127\./.test(host))

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as {
    host?: string
    port?: number
    path?: string
  }
  // http(s) passes the request's path along with host and port: only a connection without a port is a Unix socket.
  const tcp = options.port !== undefined || options.path === undefined
  if (tcp && !isLoopback(options.host)) {
    refused.push(`${options.host}:${options.port}`)
    const error = Object.assign(new Error(`tests reach loopback only: ${options.host}:${options.port}`), {
      code: 'ECONNREFUSED',
    })
    process.nextTick(() => this.destroy(error))
    return this
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof net.Socket.prototype.connect

const notFound = (host: string) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host })

const lookup = dns.lookup
dns.lookup = ((host: string, ...rest: unknown[]) => {
  if (isLoopback(host) || net.isIP(host)) return (lookup as (...a: unknown[]) => void)(host, ...rest)
  const callback = rest.at(-1) as (error: Error) => void
  process.nextTick(() => callback(notFound(host)))
}) as typeof dns.lookup
const lookupPromise = dns.promises.lookup
dns.promises.lookup = ((host: string, ...rest: unknown[]) =>
  isLoopback(host) || net.isIP(host)
    ? (lookupPromise as (...a: unknown[]) => Promise<unknown>)(host, ...rest)
    : Promise.reject(notFound(host))) as typeof dns.promises.lookup
syncBuiltinESMExports()

afterEach(() => {
  const attempts = refused.splice(0)
  expect(attempts, 'a test tried to reach past loopback').toEqual([])
})
