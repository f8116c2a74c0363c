// Preloaded (node --import) into a tool that must not reach past this machine: every TCP
// connection and DNS lookup for anything but loopback is refused and reported on stderr.
import dns from 'node:dns'
import net from 'node:net'

export const marker = 'OUTBOUND CONNECTION REFUSED'

const isLoopback = (host) =>
  host === undefined || host === 'localhost' || host === '::1' || /^127\./.test(String(host))

function refuse(what) {
  process.stderr.write(`${marker}: ${what}\n`)
  throw new Error(`${marker}: ${what}`)
}

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }
  const tcp = options.port !== undefined || options.path === undefined // http(s) passes its request path along
  if (tcp && !isLoopback(options.host)) refuse(`${options.host}:${options.port}`)
  return connect.apply(this, args)
}

const lookup = dns.lookup
dns.lookup = function (host, ...rest) {
  if (!isLoopback(host)) refuse(`lookup ${host}`)
  return lookup.call(this, host, ...rest)
}
const lookupPromise = dns.promises.lookup
dns.promises.lookup = function (host, ...rest) {
  if (!isLoopback(host)) return Promise.reject(new Error(`${marker}: lookup ${host}`))
  return lookupPromise.call(this, host, ...rest)
}
