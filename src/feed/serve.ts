import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { FeedConfig } from '../config.js'
import type { EventStore } from '../store/event-store.js'
import type { FeedCursor } from './cursor.js'
import { type FeedFilter, follow } from './follow.js'
import type { FeedHub, FollowerStats } from './hub.js'
import { SseStream } from './sse.js'

export interface ServeFeedOptions {
  readonly store: EventStore
  readonly hub: FeedHub
  readonly config: FeedConfig
  readonly filter: FeedFilter
  /** Follow the log (an event-stream client); otherwise end at the head as the request came. */
  readonly live: boolean
  readonly log: FastifyBaseLogger
}

/** Takes the reply over and streams the feed after `cursor` on it until the client or the app goes. */
export function serveFeed(reply: FastifyReply, cursor: FeedCursor, options: ServeFeedOptions): void {
  const { store, hub, config, filter, live, log } = options
  reply.hijack()
  // Headers the hooks set so far (security headers) go out with the stream's own.
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value)
  }
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    'x-request-id': reply.request.id,
  })
  reply.raw.write(': feed\n\n')
  const stream = new SseStream(reply.raw, config)
  const stats: FollowerStats = { pagesRead: 0, sent: 0 }
  const leave = hub.add({ stats, end: () => stream.end() })
  follow(cursor, {
    hub,
    store,
    filter,
    stats,
    pageSize: config.pageSize,
    pollMs: config.pollMs,
    send: (message) => stream.send(message),
    stopped: () => stream.isClosed || hub.isClosed,
    once: !live,
  })
    // The client resumes from its last id; the stream ends rather than sending a gap.
    .catch((error: unknown) => log.warn({ err: error }, 'feed ended on an error'))
    .finally(() => {
      leave()
      stream.end()
    })
}
