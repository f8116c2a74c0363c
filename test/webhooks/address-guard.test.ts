import http from 'node:http'
import net, { type AddressInfo, type LookupFunction } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { refusalOf, resolveEndpoint, UnsafeUrl } from '../../src/webhooks/address-guard.js'
import { postWebhook } from '../../src/webhooks/sender.js'

type Reach = 'private' | 'never'

// Each entry of IANA's special-purpose registries (and multicast, site-local, metadata), by its
// first and last address: what the refusal names, and whether WEBHOOK_ALLOW_PRIVATE opens it.
const special: ReadonlyArray<readonly [string, string, Reach]> = [
  ['0.0.0.0', 'an unspecified address', 'never'],
  ['0.255.255.255', 'an unspecified address', 'never'],
  ['10.0.0.0', 'a private address', 'private'],
  ['10.255.255.255', 'a private address', 'private'],
  ['100.64.0.0', 'a carrier-grade NAT address', 'private'],
  ['100.127.255.255', 'a carrier-grade NAT address', 'private'],
  ['127.0.0.1', 'a loopback address', 'private'],
  ['127.255.255.255', 'a loopback address', 'private'],
  ['169.254.0.0', 'a link-local address', 'never'],
  ['169.254.255.255', 'a link-local address', 'never'],
  ['172.16.0.0', 'a private address', 'private'],
  ['172.31.255.255', 'a private address', 'private'],
  ['192.0.0.0', 'an IETF protocol assignment address', 'private'],
  ['192.0.0.9', 'an IETF protocol assignment address', 'private'],
  ['192.0.0.255', 'an IETF protocol assignment address', 'private'],
  ['192.0.2.0', 'a documentation address', 'private'],
  ['192.0.2.255', 'a documentation address', 'private'],
  ['192.88.99.0', 'a 6to4 relay anycast address', 'private'],
  ['192.88.99.255', 'a 6to4 relay anycast address', 'private'],
  ['192.168.0.0', 'a private address', 'private'],
  ['192.168.255.255', 'a private address', 'private'],
  ['198.18.0.0', 'a benchmarking address', 'private'],
  ['198.19.255.255', 'a benchmarking address', 'private'],
  ['198.51.100.0', 'a documentation address', 'private'],
  ['198.51.100.255', 'a documentation address', 'private'],
  ['203.0.113.0', 'a documentation address', 'private'],
  ['203.0.113.255', 'a documentation address', 'private'],
  ['224.0.0.0', 'a multicast address', 'never'],
  ['239.255.255.255', 'a multicast address', 'never'],
  ['240.0.0.0', 'a reserved address', 'private'],
  ['255.255.255.254', 'a reserved address', 'private'],
  ['255.255.255.255', 'a broadcast address', 'never'],
  ['::', 'an unspecified address', 'never'],
  ['::1', 'a loopback address', 'private'],
  ['64:ff9b:1::', 'an unspecified address', 'never'], // a local-use NAT64 address carrying 0.0.0.0
  ['64:ff9b:1:0:0:1::', 'a local-use NAT64 address', 'never'], // a layout that cannot be read
  ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'a local-use NAT64 address', 'never'],
  ['100::', 'a discard-only address', 'private'],
  ['100::ffff:ffff:ffff:ffff', 'a discard-only address', 'private'],
  ['2001::', 'an unspecified address', 'never'], // a Teredo address whose server is 0.0.0.0
  ['2001:1::1', 'an IETF protocol assignment address', 'private'],
  ['2001:2::', 'an IETF protocol assignment address', 'private'],
  ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'an IETF protocol assignment address', 'private'],
  ['2001:db8::', 'a documentation address', 'private'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'a documentation address', 'private'],
  ['2002:808:808::', 'a 6to4 address', 'private'],
  ['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'a broadcast address', 'never'], // 6to4 for 255.255.255.255
  ['3fff::', 'a documentation address', 'private'],
  ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'a documentation address', 'private'],
  ['5f00::', 'an SRv6 segment address', 'private'],
  ['5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'an SRv6 segment address', 'private'],
  ['fc00::', 'a private address', 'private'],
  ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'a private address', 'private'],
  ['fe80::', 'a link-local address', 'never'],
  ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'a link-local address', 'never'],
  ['fec0::', 'a site-local address', 'private'],
  ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'a site-local address', 'private'],
  ['ff00::', 'a multicast address', 'never'],
  ['ff02::1', 'a multicast address', 'never'],
  // Outside 2000::/3 nothing is allocated for hosts: IPv4-compatible ::/96 and the rest.
  ['::a00:1', 'a reserved address', 'never'],
  ['::ffff:0:a00:1', 'a reserved address', 'never'],
  ['4000::1', 'a reserved address', 'never'],
]

// Cloud metadata and credential services: refused wherever they are.
const metadata = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '168.63.129.16',
  'fd00:ec2::254',
  'fd00:ec2::23',
]

const kindOf = (refusal: string | undefined) => refusal?.replace(/ \(.*\)$/, '')

describe('the address guard follows the special-purpose address registries', () => {
  it.each(special)('%s is %s', (address, kind) => {
    expect(refusalOf(address, false)).toMatch(new RegExp(`^${kind} \\(${address}[,)]`))
  })

  it.each(special)('%s, with private networks allowed: %s, %s', (address, kind, reach) => {
    expect(kindOf(refusalOf(address, true))).toBe(reach === 'never' ? kind : undefined)
  })

  it.each(metadata)(
    '%s is a cloud metadata address, refused even with private networks allowed',
    (address) => {
      expect(refusalOf(address, false)).toBe(`a cloud metadata address (${address})`)
      expect(refusalOf(address, true)).toBe(`a cloud metadata address (${address})`)
    },
  )

  it('lets public addresses through, up to the edges of the ranges around them', () => {
    for (const address of [
      '1.1.1.1',
      '93.184.215.14',
      '1.0.0.0',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '169.253.255.255',
      '169.255.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '191.255.255.255',
      '192.0.1.0',
      '192.0.3.0',
      '192.31.196.1', // AS112, globally reachable
      '192.88.98.255',
      '192.88.100.0',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '198.51.99.255',
      '198.51.101.0',
      '203.0.112.255',
      '203.0.114.0',
      '223.255.255.255',
      '2606:4700::1111',
      '2000::',
      '2001:200::',
      '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff',
      '2001:db9::',
      '2003::',
      '3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      '3fff:1000::',
    ]) {
      expect(refusalOf(address, false), address).toBeUndefined()
    }
  })
})

describe('an IPv4 address written as IPv6 is judged by the address it carries', () => {
  const forms: ReadonlyArray<readonly [string, string | undefined]> = [
    ['::ffff:10.0.0.1', 'a private address (::ffff:10.0.0.1, IPv4-mapped for 10.0.0.1)'],
    ['::ffff:a00:1', 'a private address (::ffff:a00:1, IPv4-mapped for 10.0.0.1)'],
    ['::ffff:7f00:1', 'a loopback address (::ffff:7f00:1, IPv4-mapped for 127.0.0.1)'],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::a00:1', 'a private address (64:ff9b::a00:1, NAT64 for 10.0.0.1)'],
    ['64:ff9b::7f00:1', 'a loopback address (64:ff9b::7f00:1, NAT64 for 127.0.0.1)'],
    ['64:ff9b::192.168.1.1', 'a private address (64:ff9b::192.168.1.1, NAT64 for 192.168.1.1)'],
    // The well-known NAT64 prefix is globally reachable: a public IPv4 address behind it is allowed.
    ['64:ff9b::808:808', undefined],
    ['64:ff9b:1::a00:1', 'a private address (64:ff9b:1::a00:1, NAT64 for 10.0.0.1)'],
    // A local-use NAT64 prefix is not globally reachable, whatever it carries.
    ['64:ff9b:1::808:808', 'a local-use NAT64 address (64:ff9b:1::808:808)'],
    ['2002:a00:1::', 'a private address (2002:a00:1::, 6to4 for 10.0.0.1)'],
    ['2002:7f00:1::1', 'a loopback address (2002:7f00:1::1, 6to4 for 127.0.0.1)'],
    ['2002:808:808::1', 'a 6to4 address (2002:808:808::1)'],
    // Teredo: the server's address, and the client's with its bits flipped (RFC 4380's example).
    [
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      'a documentation address (2001:0:4136:e378:8000:63bf:3fff:fdd2, Teredo for 192.0.2.45)',
    ],
    ['2001:0:a00:1::f7f7:f7f7', 'a private address (2001:0:a00:1::f7f7:f7f7, Teredo for 10.0.0.1)'],
    ['2001:0:808:808::80ff:fffe', 'a loopback address (2001:0:808:808::80ff:fffe, Teredo for 127.0.0.1)'],
    ['2001:0:808:808::f7f7:f7f7', 'a Teredo address (2001:0:808:808::f7f7:f7f7)'],
  ]
  it.each(forms)('%s', (address, refusal) => {
    expect(refusalOf(address, false)).toBe(refusal)
  })

  it('and what stays refused with private networks allowed stays refused in every form', () => {
    for (const address of [
      '::ffff:169.254.169.254',
      '::ffff:a9fe:aa02',
      '::ffff:0.0.0.0',
      '::ffff:100.100.100.200',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::169.254.170.2',
      '64:ff9b::0.0.0.0',
      '64:ff9b:1::a9fe:a9fe',
      '2002:a9fe:a9fe::',
      '2002:a9fe:1::',
      '2002::',
      '2002:6464:64c8::',
      '2001:0:a9fe:a9fe::',
      '2001:0:808:808::5601:5601', // Teredo client 169.254.169.254 (bits flipped)
    ]) {
      expect(refusalOf(address, true), address).toMatch(
        /^an? (cloud metadata|link-local|unspecified) address/,
      )
    }
    for (const address of ['::ffff:10.0.0.1', '64:ff9b::a00:1', '64:ff9b:1::a00:1', '2002:a00:1::']) {
      expect(refusalOf(address, true), address).toBeUndefined()
    }
  })
})

/** A resolver that gives each answer in turn, then the last one again, counting the questions. */
function resolverAnswering(...answers: string[]): LookupFunction & { readonly asked: string[] } {
  const asked: string[] = []
  const lookup = (hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    const address = answers[Math.min(asked.length, answers.length - 1)] ?? ''
    asked.push(hostname)
    const family = address.includes(':') ? 6 : 4
    process.nextTick(() =>
      options.all ? callback(null, [{ address, family }]) : callback(null, address, family),
    )
  }
  return Object.assign(lookup as LookupFunction, { asked })
}

interface Endpoint {
  readonly port: number
  readonly connections: number
  /** The local address each request arrived at, and the Host it named. */
  readonly arrivedAt: string[]
  readonly hosts: string[]
  close(): Promise<void>
}

/** An HTTP endpoint on one loopback address that answers 204 and notes where each request arrived. */
async function endpointOn(host: string, port = 0): Promise<Endpoint> {
  const arrivedAt: string[] = []
  const hosts: string[] = []
  let connections = 0
  const server = http.createServer((req, res) => {
    arrivedAt.push(req.socket.localAddress ?? '')
    hosts.push(req.headers.host ?? '')
    req.resume()
    req.on('end', () => res.writeHead(204).end())
  })
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections
    },
    arrivedAt,
    hosts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The same port on 127.0.0.1 and on 127.0.0.2. */
async function endpointsOnOnePort(): Promise<[Endpoint, Endpoint]> {
  for (let tries = 0; tries < 20; tries++) {
    const first = await endpointOn('127.0.0.1')
    const second = await endpointOn('127.0.0.2', first.port).catch(async (error: NodeJS.ErrnoException) => {
      await first.close()
      if (error.code !== 'EADDRINUSE') throw error
      return undefined
    })
    if (second) return [first, second]
  }
  throw new Error('no port was free on both 127.0.0.1 and 127.0.0.2')
}

describe('an attempt connects to the address that was checked', () => {
  const opened: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((e) => e.close()))
  })
  const send = (url: string, options: { allowPrivate: boolean; lookup: LookupFunction }) =>
    postWebhook(url, { 'webhook-id': 'msg_rebinding' }, '{}', { timeoutMs: 5000, ...options })

  it('a name that was public when the subscription was saved and is loopback at delivery is refused, without a connection', async () => {
    const receiver = await endpointOn('127.0.0.1')
    opened.push(receiver)
    const url = `http://hooks.rebinding.test:${receiver.port}/hooks`
    const lookup = resolverAnswering('93.184.215.14', '127.0.0.1')

    await expect(resolveEndpoint(url, false, lookup)).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    })
    const result = await send(url, { allowPrivate: false, lookup })

    expect(result.error).toBe(
      "refused: the URL host 'hooks.rebinding.test' resolves to a loopback address (127.0.0.1)",
    )
    expect(result.statusCode).toBeUndefined()
    expect(receiver.connections).toBe(0)
  })

  it('a name with one private answer among public ones is refused', async () => {
    const lookup: LookupFunction = (_host, _options, callback) =>
      callback(null, [
        { address: '93.184.215.14', family: 4 },
        { address: '::ffff:10.1.2.3', family: 6 },
      ])
    await expect(resolveEndpoint('https://hooks.mixed.test/', false, lookup)).rejects.toThrow(
      new UnsafeUrl(
        "host 'hooks.mixed.test' resolves to a private address (::ffff:10.1.2.3, IPv4-mapped for 10.1.2.3)",
      ),
    )
  })

  it('the connection goes to the checked answer, not to a second one the name gives', async () => {
    // Private networks allowed, so that both answers may be reached on loopback: the checked one
    // is 127.0.0.1, any later one 127.0.0.2, and each has its own endpoint on the same port.
    const [checked, later] = await endpointsOnOnePort()
    opened.push(checked, later)
    const lookup = resolverAnswering('127.0.0.1', '127.0.0.2')

    const result = await send(`http://hooks.rebinding.test:${checked.port}/hooks`, {
      allowPrivate: true,
      lookup,
    })

    expect(result.statusCode).toBe(204)
    expect(checked.arrivedAt).toEqual(['127.0.0.1'])
    expect(checked.hosts).toEqual([`hooks.rebinding.test:${checked.port}`])
    expect(later.connections).toBe(0)
    expect(lookup.asked).toEqual(['hooks.rebinding.test'])
  })

  it('over TLS, the checked address is reached and the name is what the server is asked for', async () => {
    // The ClientHello is plain text up to the server's answer: it names the server (SNI), which is
    // also the name the certificate is checked against. This endpoint reads it and hangs up.
    const hellos: { at: string; hello: Buffer }[] = []
    const server = net.createServer((socket) => {
      socket.once('data', (hello: Buffer) => {
        hellos.push({ at: socket.localAddress ?? '', hello })
        socket.destroy()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    opened.push({ close: () => new Promise((resolve) => server.close(() => resolve())) })
    const { port } = server.address() as AddressInfo

    const result = await send(`https://hooks.tls.test:${port}/hooks`, {
      allowPrivate: true,
      lookup: resolverAnswering('127.0.0.1', '127.0.0.2'),
    })

    expect(result.statusCode).toBeUndefined()
    expect(hellos.map((h) => h.at)).toEqual(['127.0.0.1'])
    expect(hellos[0]?.hello.includes('hooks.tls.test')).toBe(true)
  })
})
