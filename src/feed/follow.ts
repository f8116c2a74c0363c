import type { EventStore, FeedHorizon } from '../store/event-store.js'
import type { FeedCursor } from './cursor.js'
import type { FeedHub, FollowerStats } from './hub.js'
import { type FeedMessage, type FeedStep, mergeFeedPages } from './merge.js'

export interface FeedFilter {
  readonly types?: readonly string[]
  readonly subjects?: readonly string[]
}

export interface FollowOptions {
  readonly hub: FeedHub
  readonly store: EventStore
  readonly filter: FeedFilter
  readonly pageSize: number
  readonly pollMs: number
  readonly stats: FollowerStats
  /** Resolves once the message is handed to the socket and it may take more; false: stop. */
  readonly send: (message: FeedMessage) => Promise<boolean>
  readonly stopped: () => boolean
  /** Ends once the head as of the start has been sent, instead of following the log. */
  readonly once?: boolean
}

/**
 * Sends the log after `cursor` as it grows, page by page: a page is read only once the last one
 * has been taken by the socket (the pull model), so a slow client holds at most one page here.
 */
export async function follow(cursor: FeedCursor, options: FollowOptions): Promise<void> {
  const { hub, stats, stopped } = options
  let at = cursor
  while (!stopped()) {
    const mark = hub.signal.mark()
    const horizon = await hub.horizon(mark)
    let more = true
    while (more && !stopped()) {
      const step = await readStep(at, horizon, options)
      if (step.messages.length > 0) stats.pagesRead++
      for (const message of step.messages) {
        if (!(await options.send(message))) return
        stats.sent++
      }
      at = step.cursor
      more = step.more
    }
    if (options.once) return
    await hub.signal.wait(options.pollMs, mark)
  }
}

async function readStep(cursor: FeedCursor, horizon: FeedHorizon, options: FollowOptions): Promise<FeedStep> {
  const { store, filter, pageSize: limit } = options
  const { last } = cursor
  const [recorded, notices] = await Promise.all([
    store.query({ after: cursor.floor, upTo: horizon.position, limit, ...filter }),
    store.effectiveNotices({
      before: horizon.at,
      ...(last.kind === 'recorded' ? { dueFrom: last.at } : { afterNoticeOf: last.position }),
      ...filter,
      limit,
    }),
  ])
  return mergeFeedPages(
    {
      recorded,
      recordedComplete: recorded.length < limit,
      notices,
      noticesComplete: notices.length < limit,
      head: horizon.position,
    },
    cursor,
  )
}
