import dns from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { specialAddress } from './special-addresses.js'

/**
 * Where webhook requests may go. A URL must be http(s) and every address its host resolves to
 * must be public (`special-addresses.ts`), unless private networks are allowed; link-local,
 * unspecified and cloud metadata addresses never are. The check runs when a subscription is
 * saved and again before each attempt (DNS can change), and the attempt connects to the address
 * that was checked, so a second lookup cannot swap it.
 */
export class UnsafeUrl extends Error {}

/** Why `address` may not be called, or undefined when it may. */
export function refusalOf(address: string, allowPrivate: boolean): string | undefined {
  const special = specialAddress(address)
  if (!special || (allowPrivate && special.reach === 'private')) return undefined
  return `${special.kind} (${address}${special.carried ? `, ${special.carried}` : ''})`
}

export interface ResolvedAddress {
  readonly address: string
  readonly family: 4 | 6
}

/** The system's resolver, looked up when called. */
export const systemLookup: LookupFunction = (hostname, options, callback) =>
  dns.lookup(hostname, options, callback)

function resolveAll(lookup: LookupFunction, host: string): Promise<ResolvedAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true, verbatim: true }, (error, found, family) => {
      if (error) return reject(error)
      const all = typeof found === 'string' ? [{ address: found, family: family ?? isIP(found) }] : found
      resolve(all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })))
    })
  })
}

/**
 * Checks a webhook URL and resolves its host with `lookup`; throws UnsafeUrl with the reason.
 * The answer is the address to connect to.
 */
export async function resolveEndpoint(
  url: string,
  allowPrivate: boolean,
  lookup: LookupFunction = systemLookup,
): Promise<ResolvedAddress> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UnsafeUrl('is not a URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UnsafeUrl(`must be http or https, not ${parsed.protocol.slice(0, -1)}`)
  }
  if (parsed.username || parsed.password) {
    throw new UnsafeUrl('must not carry credentials: requests are authenticated by their signature')
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  const addresses: ResolvedAddress[] = isIP(host)
    ? [{ address: host, family: isIP(host) as 4 | 6 }]
    : await resolveAll(lookup, host).catch(() => {
        throw new UnsafeUrl(`host '${host}' does not resolve`)
      })
  for (const { address } of addresses) {
    const refusal = refusalOf(address, allowPrivate)
    if (refusal) {
      throw new UnsafeUrl(isIP(host) ? `is ${refusal}` : `host '${host}' resolves to ${refusal}`)
    }
  }
  const first = addresses[0]
  if (!first) throw new UnsafeUrl(`host '${host}' does not resolve`)
  return first
}
