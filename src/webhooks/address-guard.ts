import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/**
 * Where webhook requests may go. A URL must be http(s) and every address its host resolves to
 * must be public, unless private networks are allowed; cloud metadata addresses never are. The
 * check runs when a subscription is saved and again before each attempt (DNS can change), and
 * the attempt connects to the address that was checked, so a second lookup cannot swap it.
 */
export class UnsafeUrl extends Error {}

interface Range {
  readonly kind: string
  readonly list: BlockList
}

function range(kind: string, subnets: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>): Range {
  const list = new BlockList()
  for (const [net, prefix, type] of subnets) list.addSubnet(net, prefix, type)
  return { kind, list }
}

// BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against the IPv4 subnets too.
const metadata = range('a cloud metadata address', [
  ['169.254.169.254', 32, 'ipv4'],
  ['100.100.100.200', 32, 'ipv4'],
  ['fd00:ec2::254', 128, 'ipv6'],
])
const privateRanges: readonly Range[] = [
  range('unspecified', [
    ['0.0.0.0', 8, 'ipv4'],
    ['::', 128, 'ipv6'],
  ]),
  range('loopback', [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ]),
  range('private', [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ]),
  range('link-local', [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ]),
  range('carrier-grade NAT', [['100.64.0.0', 10, 'ipv4']]),
  range('multicast or reserved', [
    ['224.0.0.0', 3, 'ipv4'],
    ['ff00::', 8, 'ipv6'],
  ]),
]

/** Why `address` may not be called, or undefined when it may. */
export function refusalOf(address: string, allowPrivate: boolean): string | undefined {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
  if (metadata.list.check(address, type)) return `${metadata.kind} (${address})`
  if (allowPrivate) return undefined
  const hit = privateRanges.find((r) => r.list.check(address, type))
  return hit ? `a ${hit.kind} address (${address})` : undefined
}

export interface ResolvedAddress {
  readonly address: string
  readonly family: 4 | 6
}

/** Checks a webhook URL and resolves its host; throws UnsafeUrl with the reason. */
export async function resolveEndpoint(url: string, allowPrivate: boolean): Promise<ResolvedAddress> {
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
    : await lookup(host, { all: true, verbatim: true }).then(
        (found) => found.map((a) => ({ address: a.address, family: a.family as 4 | 6 })),
        () => {
          throw new UnsafeUrl(`host '${host}' does not resolve`)
        },
      )
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
