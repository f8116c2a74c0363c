import { LRUCache } from 'lru-cache'
import { channels } from '../db/channels.js'
import { listen } from '../db/listen.js'
import type { ReadModelState, ReplicaWatch } from '../projector/read-model-state.js'

/**
 * Read-model answers, kept until any read model moves. Historic as-of answers change only when
 * a fact (possibly back-dated) is applied, and every applied batch sends NOTIFY mt_read_models
 * at commit: on it the whole cache is dropped. While the LISTEN connection is down nothing is
 * cached, so a missed notification can never leave a stale answer behind.
 *
 * Answered from a streaming replica, a notification from the primary arrives before the replica
 * has replayed the change: an answer computed there right after it would lack the change and be
 * kept for good. So with a replica, a notification also takes the primary's read-model state
 * (checkpoints), and until the replica's read models include it every answer is computed and
 * none is kept.
 *
 * Kept answers are bounded by their size, not their number: any client can name a new
 * `asOf`/`knownAt` with every request, and a thousand-event page weighs far more than a price. An
 * answer's size is the length of its JSON (what it costs on the wire; held as objects it takes about
 * five times that); the least recently used answers go first, and one larger than an eighth of the
 * budget is answered but never kept, so a few huge answers cannot push out all the others.
 *
 * Requests for the same answer that arrive while it is being computed wait for that one
 * computation instead of each starting their own: ten readers of a new date make one query, not
 * ten racing for the same cores. A notification ends the sharing, so no request waits for a
 * computation that began before a change it was notified of.
 */
export class AnswerCache {
  /** Boxed: an answer may be `undefined` (nothing found), which the LRU cannot hold as a value. */
  private readonly entries: LRUCache<string, { readonly value: unknown }> | undefined
  private version = 0
  /** Computations under way since the last notification, by key. */
  private computing = new Map<string, Promise<unknown>>()
  private listening = false
  /** The JSON of kept answers, written once (`bodyOf`); it goes when its answer does. */
  private readonly json = new WeakMap<object, Buffer>()
  /** The primary's read models at the last notification, while the replica's may be short of them. */
  private awaited: { readonly state: Promise<ReadModelState | undefined> } | undefined

  constructor(
    private readonly replica?: ReplicaWatch,
    /** The budget for kept answers, in bytes of JSON; 0 keeps none. */
    readonly maxBytes = defaultAnswerCacheBytes,
  ) {
    this.entries =
      maxBytes > 0 ? new LRUCache({ maxSize: maxBytes, maxEntrySize: Math.floor(maxBytes / 8) }) : undefined
  }

  /** The bytes that the kept answers (and their keys) take, by the measure the budget is kept in. */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0
  }

  /** How many answers are kept. */
  get count(): number {
    return this.entries?.size ?? 0
  }

  /** Drops every answer (a read model moved, or the notifications may have been missed). */
  invalidate(): void {
    this.version++
    this.entries?.clear()
    this.computing = new Map()
    if (this.replica) this.awaited = this.awaitReplica(this.replica)
  }

  setListening(listening: boolean): void {
    this.listening = listening
    this.invalidate()
  }

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const entries = this.entries
    if (!entries || !this.listening) return compute()
    if (this.awaited && !(await this.replicaCaughtUp(this.awaited))) return compute()
    const kept = entries.get(key)
    if (kept) return kept.value as T
    const under = this.computing.get(key)
    if (under) return under as Promise<T>
    const computing = this.computeAndKeep(entries, key, compute)
    this.computing.set(key, computing)
    return computing
  }

  /**
   * The JSON of `value`, an answer this cache gave or a part of one, written by `write` the first
   * time it is asked and kept while the answer is. It is one part of one query's answer, so it is
   * always written from the same schema.
   */
  jsonOf(value: object, write: () => Buffer): Buffer {
    const kept = this.json.get(value)
    if (kept !== undefined) return kept
    const json = write()
    this.json.set(value, json)
    return json
  }

  private async computeAndKeep<T>(
    entries: NonNullable<AnswerCache['entries']>,
    key: string,
    compute: () => Promise<T>,
  ): Promise<T> {
    const version = this.version
    const computing = this.computing
    try {
      const value = await compute()
      // A batch applied while computing may not be in this answer: keep it only if none was.
      // One past maxEntrySize is not kept (the LRU refuses it).
      if (version === this.version) entries.set(key, { value }, { size: sizeOf(key, value) })
      return value
    } finally {
      computing.delete(key)
    }
  }

  private awaitReplica(replica: ReplicaWatch): { state: Promise<ReadModelState | undefined> } {
    // Undefined when the primary could not say: asked again by the next request.
    return { state: replica.primaryState().catch(() => undefined) }
  }

  /** Once the replica has what the primary had, answers computed from now on may be kept. */
  private async replicaCaughtUp(awaited: NonNullable<AnswerCache['awaited']>): Promise<boolean> {
    const replica = this.replica
    if (!replica) return true
    const state = await awaited.state
    if (state === undefined) {
      if (this.awaited === awaited) this.awaited = this.awaitReplica(replica)
      return false
    }
    const caughtUp = await replica.replicaIncludes(state).catch(() => false)
    // A later notification awaits a later state: this one settles nothing.
    if (!caughtUp || this.awaited !== awaited) return false
    // Nothing was kept since the notification (it moved the version; compute() alone ran since).
    this.awaited = undefined
    return true
  }
}

/** 32 MiB of JSON: about 160 MB of memory for answers of a thousand events (docs/architecture.md). */
export const defaultAnswerCacheBytes = 32 * 1024 * 1024

/**
 * The key and the answer's JSON in UTF-8 bytes, or the bytes themselves of an answer kept as it is
 * sent (JSON or CSV already written); an answer JSON cannot write is never kept.
 */
function sizeOf(key: string, value: unknown): number {
  try {
    const bytes =
      Buffer.isBuffer(value) || typeof value === 'string'
        ? Buffer.byteLength(value)
        : Buffer.byteLength(JSON.stringify(value) ?? '')
    return Buffer.byteLength(key) + bytes
  } catch {
    return Number.MAX_SAFE_INTEGER
  }
}

/**
 * A cache kept fresh by LISTEN mt_read_models on the primary, `databaseUrl`; with `replica`, its
 * answers come from a streaming replica. `close()` stops listening.
 */
export function listeningAnswerCache(
  databaseUrl: string,
  replica?: ReplicaWatch,
  maxBytes = defaultAnswerCacheBytes,
): { cache: AnswerCache; close(): Promise<void> } {
  const cache = new AnswerCache(replica, maxBytes)
  const listener = listen(
    databaseUrl,
    channels.readModels,
    () => cache.invalidate(),
    (connected) => cache.setListening(connected),
  )
  return { cache, close: () => listener.close() }
}
