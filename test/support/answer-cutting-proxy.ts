import net from 'node:net'

export interface AnswerCuttingProxy {
  /** `http://127.0.0.1:<port>`: requests reach the service, answers never come back. */
  readonly baseUrl: string
  /** Connections whose answer was cut: the service had begun to answer, the client got nothing. */
  readonly cut: number
  close(): Promise<void>
}

/**
 * A TCP proxy on 127.0.0.1 in front of `port` that passes requests through and, as soon as the
 * answer's first bytes (its status line) come back, closes the client's connection without
 * passing them on: the answer is lost after the service did the work, as when a network drops.
 */
export async function startAnswerCuttingProxy(port: number): Promise<AnswerCuttingProxy> {
  let cut = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    client.pipe(upstream)
    upstream.once('data', () => {
      cut++
      client.destroy()
      upstream.destroy()
    })
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    get cut() {
      return cut
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
