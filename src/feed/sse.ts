import type { ServerResponse } from 'node:http'
import type { FeedMessage } from './merge.js'

export interface SseOptions {
  readonly heartbeatMs: number
  /** A client that takes nothing for this long is disconnected (it resumes with Last-Event-ID). */
  readonly drainTimeoutMs: number
}

/** A `text/event-stream` answer on a raw response: frames, heartbeats, and the wait for 'drain'. */
export class SseStream {
  private closed = false
  private draining = false
  private readonly heartbeat: NodeJS.Timeout

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseOptions,
  ) {
    response.once('close', () => this.stop())
    // A comment line keeps proxies and the idle timeout from closing a quiet stream.
    this.heartbeat = setInterval(() => {
      if (!this.draining) this.response.write(': heartbeat\n\n')
    }, options.heartbeatMs)
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Resolves once the socket can take more; false when the stream has ended. */
  async send({ kind, id, event }: FeedMessage): Promise<boolean> {
    if (this.closed) return false
    if (this.response.write(`event: ${kind}\nid: ${id}\ndata: ${JSON.stringify(event)}\n\n`)) return true
    return this.drained()
  }

  end(): void {
    if (!this.closed) this.response.end()
    this.stop()
  }

  private drained(): Promise<boolean> {
    this.draining = true
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        this.response.off('drain', onDrain)
        this.response.off('close', onClose)
        this.draining = false
        resolve(ok && !this.closed)
      }
      const onDrain = () => done(true)
      const onClose = () => done(false)
      const timer = setTimeout(() => {
        this.response.destroy()
        done(false)
      }, this.options.drainTimeoutMs)
      this.response.once('drain', onDrain)
      this.response.once('close', onClose)
    })
  }

  private stop(): void {
    this.closed = true
    clearInterval(this.heartbeat)
  }
}
