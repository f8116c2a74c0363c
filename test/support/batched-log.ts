import { setTimeout as sleep } from 'node:timers/promises'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import type { EventStore } from '../../src/store/event-store.js'

/**
 * Appends the events that `steps` make, in batches cut as `cuts` says in turn (a batch is appended
 * once it holds that many events), each batch recorded a little after the one before. `eventOf`
 * sees every event stored before its step's batch (a retraction names one of them) and may make
 * none. Returns the events as stored, in log order.
 */
export async function appendInCuts<S>(
  store: Pick<EventStore, 'append'>,
  steps: readonly S[],
  cuts: readonly number[],
  eventOf: (step: S, stored: readonly RecordedEvent[], index: number) => EventInput | undefined,
): Promise<RecordedEvent[]> {
  const stored: RecordedEvent[] = []
  let pending: EventInput[] = []
  let cut = 0
  const flush = async () => {
    if (pending.length === 0) return
    stored.push(...(await store.append(pending)).events)
    pending = []
    await sleep(2) // later batches get later recordedAt
  }
  for (const [i, step] of steps.entries()) {
    const event = eventOf(step, stored, i)
    if (event) pending.push(event)
    if (pending.length >= (cuts[cut % cuts.length] ?? 1)) {
      cut++
      await flush()
    }
  }
  await flush()
  return stored
}

/** A retraction of the `target`-th of `candidates` (round the list); none while there is none. */
export function retractionOf(candidates: readonly RecordedEvent[], target: number): EventInput | undefined {
  const event = candidates[target % Math.max(1, candidates.length)]
  if (!event) return undefined
  return {
    type: 'event.retracted',
    subject: event.subject,
    occurredAt: '2024',
    data: { eventId: event.id, reason: 'test' },
  }
}

/** The events known at `knownAt` that no retraction known then undoes. */
export function knownEvents(events: readonly RecordedEvent[], knownAt: Date): RecordedEvent[] {
  const known = events.filter((e) => new Date(e.recordedAt) <= knownAt)
  const retracted = new Set(
    known.filter((e) => e.type === 'event.retracted').map((r) => (r.data as { eventId: string }).eventId),
  )
  return known.filter((e) => !retracted.has(e.id))
}

/** Valid-time order: by effectiveFrom, ties in log order. */
export function byValidTime(a: RecordedEvent, b: RecordedEvent): number {
  if (a.effectiveFrom === b.effectiveFrom) return a.position - b.position
  return a.effectiveFrom < b.effectiveFrom ? -1 : 1
}
