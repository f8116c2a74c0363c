import { setTimeout as sleep } from 'node:timers/promises'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import type { EventStore } from '../../src/store/event-store.js'

/**
 * A test's market appended in batches through the store, as most API tests build theirs: the
 * facts a test names (their ids, to assert on), the position of the last event appended (for
 * consistentWith), and instants noted between batches (for knownAt).
 */
export interface Batches {
  /** The position of the last event appended; 0 before any. */
  readonly head: number
  /** The id of every fact made by `fact`, by its name. */
  readonly ids: Record<string, string>
  /** The event with a new id, noted in `ids` under `name`, after the defaults given to `batches`. */
  fact(name: string, event: Omit<EventInput, 'id'>): EventInput
  append(events: readonly EventInput[]): Promise<readonly RecordedEvent[]>
}

/** Batches appended to the store `store()` answers when they are: a test starts its app in beforeAll. */
export function batches(
  store: () => Pick<EventStore, 'append'>,
  defaults: Partial<EventInput> = {},
): Batches {
  let head = 0
  const ids: Record<string, string> = {}
  return {
    get head() {
      return head
    },
    ids,
    fact(name, event) {
      const id = crypto.randomUUID()
      ids[name] = id
      return { id, ...defaults, ...event }
    },
    async append(events) {
      const stored = (await store().append(events)).events
      head = stored.at(-1)?.position ?? head
      return stored
    },
  }
}

/**
 * Lets the clock move past what was just appended, notes the time, and lets it move again: the
 * instant answered lies after everything recorded so far and before whatever is appended next.
 */
export async function pauseAndNoteTime(): Promise<string> {
  await sleep(20)
  const noted = new Date().toISOString()
  await sleep(20)
  return noted
}
