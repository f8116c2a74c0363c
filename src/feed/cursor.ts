import type { RecordedEvent } from '../catalogue/event-type.js'

/**
 * Where a feed stands. The feed is one sequence in time: a fact at its recordedAt (`recorded`)
 * and, if it was recorded before it took effect, again at its effectiveFrom (`effective`), ties
 * broken recorded before effective, then by position. So one point in that sequence says both
 * what has been recorded and what has taken effect, and it is what an SSE id carries:
 *
 * - `<P>` after the recorded fact at position P (also `?after=P`): recorded facts after P, and
 *   effective notices due at or after P's recordedAt;
 * - `<P>:<Q>` after the effective notice of the fact at position Q, every recorded fact that the
 *   stream filters let through being at or below P: recorded facts after P, and effective notices
 *   after Q's in (effectiveFrom, position).
 */
export type FeedPoint =
  | { readonly kind: 'recorded'; readonly position: number; readonly at: Date | null }
  | { readonly kind: 'effective'; readonly position: number }

export interface FeedCursor {
  /** Every recorded fact at or below it has been sent or filtered out. */
  readonly floor: number
  readonly last: FeedPoint
}

/** A Last-Event-ID as the two positions it holds; undefined if it is not one of ours. */
export function parseFeedId(id: string): { floor: number; notice?: number } | undefined {
  const match = /^(\d{1,16})(?::(\d{1,16}))?$/.exec(id.trim())
  if (!match) return undefined
  const floor = Number(match[1])
  if (!Number.isSafeInteger(floor)) return undefined
  if (match[2] === undefined) return { floor }
  const notice = Number(match[2])
  return Number.isSafeInteger(notice) ? { floor, notice } : undefined
}

export function recordedId(event: RecordedEvent): string {
  return String(event.position)
}

export function effectiveId(floor: number, event: RecordedEvent): string {
  return `${floor}:${event.position}`
}

/** Whether the effective notice of `notice` comes before the recorded fact `fact` in the feed. */
export function noticeFirst(notice: RecordedEvent, fact: RecordedEvent): boolean {
  // Milliseconds suffice: recordedAt is whole milliseconds, so a truncated effectiveFrom that
  // equals it was at or after it, and the recorded fact goes first either way.
  return Date.parse(notice.effectiveFrom) < Date.parse(fact.recordedAt)
}
