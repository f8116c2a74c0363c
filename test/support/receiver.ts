import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  readonly at: number
}

export interface Answer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** Answer only after this long (to make the sender time out). */
  readonly delayMs?: number
}

export interface Receiver {
  readonly url: string
  readonly port: number
  readonly requests: ReceivedRequest[]
  /** How the next requests are answered; `count` is the request's 1-based number. */
  answer: (request: ReceivedRequest, count: number) => Answer
  /** Resolves once `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
  waitFor(predicate: (requests: readonly ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A real HTTP endpoint on 127.0.0.1 that records every request. Answers 204 unless told otherwise. */
export async function startReceiver(port = 0): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  const receiver: Receiver = {
    url: '',
    port: 0,
    requests,
    answer: () => ({ status: 204 }),
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(requests)) {
        if (Date.now() > deadline) {
          throw new Error(
            `the receiver did not get what was expected within ${timeoutMs} ms (${requests.length} requests)`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: async () => {},
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      requests.push(received)
      const answer = receiver.answer(received, requests.length)
      const send = () => {
        if (res.destroyed) return
        res.writeHead(answer.status, answer.headers ?? {})
        res.end(answer.body ?? '')
      }
      if (!answer.delayMs) return send()
      const timer = setTimeout(() => {
        timers.delete(timer)
        send()
      }, answer.delayMs)
      timers.add(timer)
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}

/** Receivers started by one test file, closed together at its end. */
export function receivers(): { start(port?: number): Promise<Receiver>; closeAll(): Promise<void> } {
  const started: Receiver[] = []
  return {
    async start(port) {
      const receiver = await startReceiver(port)
      started.push(receiver)
      return receiver
    },
    async closeAll() {
      await Promise.all(started.map((r) => r.close()))
    },
  }
}
