import http from 'node:http'

export interface SseMessage {
  readonly event: string
  readonly id: string
  readonly data: {
    readonly position: number
    readonly type: string
    readonly subject: string
    readonly id: string
    readonly recordedAt: string
    readonly effectiveFrom: string
  }
}

/** A real `text/event-stream` reader over node's http: every message and comment it has received. */
export class SseReader {
  readonly messages: SseMessage[] = []
  comments = 0
  status = 0
  ended = false
  private buffer = ''
  private request: http.ClientRequest | undefined
  private response: http.IncomingMessage | undefined

  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader()
    return new Promise((resolve, reject) => {
      reader.request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        reader.response = response
        reader.status = response.statusCode ?? 0
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => reader.take(chunk))
        response.on('close', () => {
          reader.ended = true
        })
        response.on('error', () => {})
        resolve(reader)
      })
      reader.request.on('error', reject)
    })
  }

  get body(): string {
    return this.buffer
  }

  pause(): void {
    this.response?.pause()
  }

  resume(): void {
    this.response?.resume()
  }

  close(): void {
    this.request?.destroy()
  }

  private take(chunk: string): void {
    this.buffer += chunk
    for (;;) {
      const end = this.buffer.indexOf('\n\n')
      if (end < 0) return
      const frame = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      this.frame(frame)
    }
  }

  private frame(frame: string): void {
    const fields = new Map<string, string>()
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++
        continue
      }
      const colon = line.indexOf(':')
      fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart())
    }
    const data = fields.get('data')
    if (data === undefined) return
    this.messages.push({
      event: fields.get('event') ?? 'message',
      id: fields.get('id') ?? '',
      data: JSON.parse(data),
    })
  }
}
