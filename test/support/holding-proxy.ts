import net from 'node:net'

export interface HoldingProxy {
  /** `url` with its host and port replaced by the proxy's, on 127.0.0.1. */
  readonly url: string
  /** Connections stopped so far, each at the first message that held the marker. */
  held(): number
  /** Sends on everything held, and holds nothing from now on. */
  release(): void
  close(): Promise<void>
}

/**
 * A TCP proxy to PostgreSQL that stops, on each connection, the first message from the client
 * that contains `marker` (a piece of a statement's SQL text), and everything after it, until
 * `release()`: the statement has taken its connection from the pool, and never finishes. Any
 * other statement passes.
 */
export async function startHoldingProxy(url: string, marker: string): Promise<HoldingProxy> {
  const target = new URL(url)
  const needle = Buffer.from(marker)
  const waiting: Array<() => void> = []
  let holding = true
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname)
    sockets.add(client).add(upstream)
    let stopped: Buffer[] | undefined
    const resume = () => {
      for (const chunk of stopped ?? []) upstream.write(chunk)
      stopped = undefined
    }
    client.on('data', (chunk: Buffer) => {
      if (stopped) stopped.push(chunk)
      else if (holding && chunk.includes(needle)) {
        stopped = [chunk]
        waiting.push(resume)
      } else upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      socket.on('error', end)
      socket.on('close', () => {
        sockets.delete(socket)
        end()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxied = new URL(url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String((server.address() as net.AddressInfo).port)
  return {
    url: proxied.toString(),
    held: () => waiting.length,
    release() {
      holding = false
      for (const resume of waiting) resume()
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
