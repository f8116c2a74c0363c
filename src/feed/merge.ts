import type { RecordedEvent } from '../catalogue/event-type.js'
import { effectiveId, type FeedCursor, noticeFirst, recordedId } from './cursor.js'

export interface FeedMessage {
  readonly kind: 'recorded' | 'effective'
  readonly id: string
  readonly event: RecordedEvent
}

/** One page of each kind, read after a cursor and below one horizon. */
export interface FeedPages {
  readonly recorded: readonly RecordedEvent[]
  /** The page holds every recorded fact up to the horizon (it was not cut by the limit). */
  readonly recordedComplete: boolean
  readonly notices: readonly RecordedEvent[]
  readonly noticesComplete: boolean
  /** The horizon's head position. */
  readonly head: number
}

export interface FeedStep {
  readonly messages: readonly FeedMessage[]
  readonly cursor: FeedCursor
  /** Whether more lies below the horizon: read again before waiting. */
  readonly more: boolean
}

/**
 * The two pages in feed order (cursor.ts). A page cut by the limit ends what can be sent: what
 * follows it is unknown and may come before the other page's next item.
 */
export function mergeFeedPages(pages: FeedPages, cursor: FeedCursor): FeedStep {
  const messages: FeedMessage[] = []
  let { floor, last } = cursor
  let i = 0
  let j = 0
  const sendRecorded = (event: RecordedEvent) => {
    i++
    floor = event.position
    last = { kind: 'recorded', position: event.position, at: new Date(event.recordedAt) }
    messages.push({ kind: 'recorded', id: recordedId(event), event })
  }
  const sendNotice = (event: RecordedEvent) => {
    j++
    last = { kind: 'effective', position: event.position }
    messages.push({ kind: 'effective', id: effectiveId(floor, event), event })
  }
  for (;;) {
    const fact = pages.recorded[i]
    const notice = pages.notices[j]
    if (fact && notice) noticeFirst(notice, fact) ? sendNotice(notice) : sendRecorded(fact)
    else if (fact && pages.noticesComplete) sendRecorded(fact)
    else if (notice && pages.recordedComplete) sendNotice(notice)
    else break
  }
  const recordedDone = i === pages.recorded.length && pages.recordedComplete
  const noticesDone = j === pages.notices.length && pages.noticesComplete
  // Nothing the filters let through lies between the last fact sent and the head.
  if (recordedDone) floor = Math.max(floor, pages.head)
  return { messages, cursor: { floor, last }, more: !(recordedDone && noticesDone) }
}
