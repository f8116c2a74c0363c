import { InvalidInput } from '../errors.js'
import type { EventStore } from '../store/event-store.js'
import { type FeedCursor, parseFeedId } from './cursor.js'
import type { FeedHub } from './hub.js'

export interface ResumePoint {
  /** The Last-Event-ID header: wins over `after`, as a browser's reconnection keeps the URL. */
  readonly lastEventId?: string
  readonly after?: number
}

/** Where a feed starts: after the id or position given, else at the head (only what comes next). */
export async function startingCursor(
  store: EventStore,
  hub: FeedHub,
  resume: ResumePoint,
): Promise<FeedCursor> {
  const given = resume.lastEventId === undefined ? undefined : parsedId(resume.lastEventId)
  if (given?.notice !== undefined) return afterNotice(store, given.floor, given.notice)
  const position = given?.floor ?? resume.after
  if (position === undefined) {
    const horizon = await hub.horizon(hub.signal.mark())
    return { floor: horizon.position, last: { kind: 'recorded', position: horizon.position, at: horizon.at } }
  }
  const field = given ? '/last-event-id' : '/after'
  if (position > (await store.headPosition())) {
    throw new InvalidInput(`${field.slice(1)} ${position} is beyond the head of the log`, [
      { path: field, message: 'is beyond the head of the log' },
    ])
  }
  const at = await store.recordedAtOrBefore(position)
  return { floor: position, last: { kind: 'recorded', position, at } }
}

function parsedId(id: string): { floor: number; notice?: number } {
  const parsed = parseFeedId(id)
  if (!parsed) {
    throw new InvalidInput(`Last-Event-ID '${id.slice(0, 40)}' is not an id this feed sent`, [
      { path: '/last-event-id', message: 'must be <position> or <position>:<position>' },
    ])
  }
  return parsed
}

async function afterNotice(store: EventStore, floor: number, notice: number): Promise<FeedCursor> {
  const [event] = await store.findByPositions([notice])
  const isNotice = event && Date.parse(event.effectiveFrom) >= Date.parse(event.recordedAt)
  if (!isNotice || floor > (await store.headPosition())) {
    throw new InvalidInput(`Last-Event-ID '${floor}:${notice}' names no effective notice of this log`, [
      { path: '/last-event-id', message: 'names no effective notice of this log' },
    ])
  }
  return { floor, last: { kind: 'effective', position: notice } }
}
