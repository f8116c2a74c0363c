import { BlockList, isIP } from 'node:net'

/**
 * IANA's special-purpose address registries (iana-ipv4-special-registry and
 * iana-ipv6-special-registry), with multicast, site-local and cloud metadata addresses beside
 * them, as a webhook endpoint sees them. `private`: not globally reachable, allowed only where
 * private networks are (WEBHOOK_ALLOW_PRIVATE). `never`: refused even there, because no
 * receiver lives there or because it is this host's or the platform's own (metadata and
 * credentials, link-local, unspecified). An address that matches no entry is public.
 */
export type Reach = 'private' | 'never'

/** What an address is when it is not a public one. */
export interface SpecialAddress {
  readonly kind: string
  readonly reach: Reach
  /** For an IPv6 address that carries an IPv4 one, the form and the IPv4 address it carries. */
  readonly carried: string | undefined
}

interface Entry {
  readonly kind: string
  /** `global`: the prefix itself is reachable, only the IPv4 address it carries can refuse it. */
  readonly reach: Reach | 'global'
  readonly list: BlockList
  readonly form?: string
  /** The IPv4 addresses an address of this prefix carries (every place it may sit). */
  readonly carries?: (bytes: Uint8Array) => string[]
}

function entry(
  cidr: string,
  kind: string,
  reach: Entry['reach'],
  embedded?: Pick<Entry, 'form' | 'carries'>,
): Entry {
  const [net = '', prefix = ''] = cidr.split('/')
  const list = new BlockList()
  list.addSubnet(net, Number(prefix), isIP(net) === 6 ? 'ipv6' : 'ipv4')
  return { kind, reach, list, ...embedded }
}

const ipv4At = (bytes: Uint8Array, ...at: number[]): string => at.map((i) => bytes[i]).join('.')
const flipped = (bytes: Uint8Array, from: number): Uint8Array =>
  bytes.map((b, i) => (i >= from ? b ^ 0xff : b))

// In table order, the first entry an address falls in names it: the narrower ones come first.
const ipv4: readonly Entry[] = [
  entry('0.0.0.0/8', 'an unspecified address', 'never'), // "this network", RFC 791 §3.2; 0.0.0.0/32 RFC 1122
  // Metadata and credential services: AWS, GCP, Azure, OCI, DigitalOcean (169.254.169.254), ECS
  // task credentials (169.254.170.2), EKS Pod Identity (169.254.170.23), Alibaba Cloud
  // (100.100.100.200), Azure's platform endpoint WireServer (168.63.129.16, public but reachable
  // only from inside Azure).
  entry('169.254.169.254/32', 'a cloud metadata address', 'never'),
  entry('169.254.170.2/32', 'a cloud metadata address', 'never'),
  entry('169.254.170.23/32', 'a cloud metadata address', 'never'),
  entry('100.100.100.200/32', 'a cloud metadata address', 'never'),
  entry('168.63.129.16/32', 'a cloud metadata address', 'never'),
  entry('169.254.0.0/16', 'a link-local address', 'never'), // RFC 3927
  entry('224.0.0.0/4', 'a multicast address', 'never'), // RFC 5771
  entry('255.255.255.255/32', 'a broadcast address', 'never'), // limited broadcast, RFC 8190, RFC 919 §7
  entry('10.0.0.0/8', 'a private address', 'private'), // RFC 1918
  entry('100.64.0.0/10', 'a carrier-grade NAT address', 'private'), // shared address space, RFC 6598
  entry('127.0.0.0/8', 'a loopback address', 'private'), // RFC 1122 §3.2.1.3
  entry('172.16.0.0/12', 'a private address', 'private'), // RFC 1918
  // IETF protocol assignments, RFC 6890: DS-Lite 192.0.0.0/29 (RFC 7335), dummy 192.0.0.8 (RFC
  // 7600), NAT64 discovery 192.0.0.170-171 (RFC 8880). The anycast PCP 192.0.0.9 (RFC 7723) and
  // TURN 192.0.0.10 (RFC 8155) are global, but no webhook receiver: refused with the block.
  entry('192.0.0.0/24', 'an IETF protocol assignment address', 'private'),
  entry('192.0.2.0/24', 'a documentation address', 'private'), // TEST-NET-1, RFC 5737
  entry('192.88.99.0/24', 'a 6to4 relay anycast address', 'private'), // deprecated, RFC 7526; 6a44 RFC 6751
  entry('192.168.0.0/16', 'a private address', 'private'), // RFC 1918
  entry('198.18.0.0/15', 'a benchmarking address', 'private'), // RFC 2544
  entry('198.51.100.0/24', 'a documentation address', 'private'), // TEST-NET-2, RFC 5737
  entry('203.0.113.0/24', 'a documentation address', 'private'), // TEST-NET-3, RFC 5737
  entry('240.0.0.0/4', 'a reserved address', 'private'), // RFC 1112 §4
]

const ipv6: readonly Entry[] = [
  entry('::/128', 'an unspecified address', 'never'), // RFC 4291
  entry('fd00:ec2::254/128', 'a cloud metadata address', 'never'), // AWS instance metadata over IPv6
  entry('fd00:ec2::23/128', 'a cloud metadata address', 'never'), // EKS Pod Identity over IPv6
  entry('fe80::/10', 'a link-local address', 'never'), // RFC 4291
  entry('ff00::/8', 'a multicast address', 'never'), // RFC 4291
  entry('::1/128', 'a loopback address', 'private'), // RFC 4291
  // An IPv4 address written as IPv6, RFC 4291: it is what it carries.
  entry('::ffff:0:0/96', 'an IPv4-mapped address', 'global', {
    form: 'IPv4-mapped',
    carries: (b) => [ipv4At(b, 12, 13, 14, 15)],
  }),
  // The well-known NAT64 prefix, RFC 6052: globally reachable, the translator connects to the IPv4
  // address carried, so it is allowed exactly when that address is.
  entry('64:ff9b::/96', 'a NAT64 address', 'global', {
    form: 'NAT64',
    carries: (b) => [ipv4At(b, 12, 13, 14, 15)],
  }),
  // Local-use NAT64, RFC 8215: the translator is on a local network. Where the IPv4 address sits
  // depends on the prefix length chosen there; only the /96 layout can be read without knowing it,
  // so any other is refused.
  entry('64:ff9b:1::/96', 'a local-use NAT64 address', 'private', {
    form: 'NAT64',
    carries: (b) => [ipv4At(b, 12, 13, 14, 15)],
  }),
  entry('64:ff9b:1::/48', 'a local-use NAT64 address', 'never'),
  entry('100::/64', 'a discard-only address', 'private'), // RFC 6666
  // Teredo, RFC 4380: the server's IPv4 address, and the client's with every bit flipped.
  entry('2001::/32', 'a Teredo address', 'private', {
    form: 'Teredo',
    carries: (b) => [ipv4At(b, 4, 5, 6, 7), ipv4At(flipped(b, 12), 12, 13, 14, 15)],
  }),
  // IETF protocol assignments, RFC 2928: benchmarking 2001:2::/48 (RFC 5180), ORCHID (RFC 4843,
  // RFC 7343), and anycast services (PCP, TURN, AMT, AS112) that are global but no webhook receiver.
  entry('2001::/23', 'an IETF protocol assignment address', 'private'),
  entry('2001:db8::/32', 'a documentation address', 'private'), // RFC 3849
  // 6to4, RFC 3056, deprecated by RFC 7526: reached through whichever relay routing picks.
  entry('2002::/16', 'a 6to4 address', 'private', { form: '6to4', carries: (b) => [ipv4At(b, 2, 3, 4, 5)] }),
  entry('3fff::/20', 'a documentation address', 'private'), // RFC 9637
  entry('5f00::/16', 'an SRv6 segment address', 'private'), // RFC 9602
  entry('fc00::/7', 'a private address', 'private'), // unique local, RFC 4193
  entry('fec0::/10', 'a site-local address', 'private'), // deprecated, RFC 3879
]

// Only 2000::/3 is allocated for global unicast (IANA's IPv6 address space registry); the rest of
// the space, IPv4-compatible ::/96 included, has no receiver.
const globalUnicast = entry('2000::/3', 'a global unicast address', 'global')
const unassigned: SpecialAddress = { kind: 'a reserved address', reach: 'never', carried: undefined }

const severity = { private: 1, never: 2 } as const

/** What `address` (an IP address as text) is, or undefined for a public address. */
export function specialAddress(address: string): SpecialAddress | undefined {
  if (isIP(address) === 4) {
    const hit = ipv4.find((e) => e.list.check(address, 'ipv4'))
    return hit ? { kind: hit.kind, reach: hit.reach as Reach, carried: undefined } : undefined
  }
  const hit = ipv6.find((e) => e.list.check(address, 'ipv6'))
  if (!hit) return globalUnicast.list.check(address, 'ipv6') ? undefined : unassigned
  const own = hit.reach === 'global' ? [] : [{ kind: hit.kind, reach: hit.reach, carried: undefined }]
  const carried = (hit.carries?.(ipv6Bytes(address)) ?? []).flatMap((inner) => {
    const found = specialAddress(inner)
    return found ? [{ ...found, carried: `${hit.form} for ${inner}` }] : []
  })
  // The worst decides; between equals, what the address carries says more than its prefix.
  return [...carried, ...own].reduce<SpecialAddress | undefined>(
    (worst, next) => (worst && severity[worst.reach] >= severity[next.reach] ? worst : next),
    undefined,
  )
}

/** The 16 bytes of an IPv6 address (valid, as `isIP` says). */
function ipv6Bytes(address: string): Uint8Array {
  const text = (address.split('%')[0] ?? '').replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  )
  const [head = '', tail] = text.split('::')
  const groups = (part: string | undefined) =>
    part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []
  const before = groups(head)
  const after = groups(tail)
  const words = [...before, ...Array(8 - before.length - after.length).fill(0), ...after]
  return Uint8Array.from(words.flatMap((w) => [w >> 8, w & 0xff]))
}
