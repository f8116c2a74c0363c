import { listen } from '../db/listen.js'
import type { ReplayWatch } from '../db/replay.js'

/**
 * Read-model answers, kept until any read model moves. Historic as-of answers change only when
 * a fact (possibly back-dated) is applied, and every applied batch sends NOTIFY mt_read_models
 * at commit: on it the whole cache is dropped. While the LISTEN connection is down nothing is
 * cached, so a missed notification can never leave a stale answer behind.
 *
 * Answered from a streaming replica, a notification from the primary arrives before the replica
 * has replayed the change: an answer computed there right after it would lack the change and be
 * kept for good. So with a replica, a notification also takes the primary's WAL position, and
 * until the replica has replayed past it every answer is computed and none is kept.
 */
export class AnswerCache {
  private readonly entries = new Map<string, unknown>()
  private version = 0
  private listening = false
  /** The primary's WAL position at the last notification, while the replica may be short of it. */
  private awaited: { readonly lsn: Promise<string | undefined> } | undefined

  constructor(
    private readonly replay?: ReplayWatch,
    private readonly maxEntries = 5000,
  ) {}

  /** Drops every answer (a read model moved, or the notifications may have been missed). */
  invalidate(): void {
    this.version++
    this.entries.clear()
    if (this.replay) this.awaited = this.awaitReplay(this.replay)
  }

  setListening(listening: boolean): void {
    this.listening = listening
    this.invalidate()
  }

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (!this.listening) return compute()
    if (this.awaited && !(await this.replicaCaughtUp(this.awaited))) return compute()
    if (this.entries.has(key)) return this.entries.get(key) as T
    const version = this.version
    const value = await compute()
    // A batch applied while computing may not be in this answer: keep it only if none was.
    if (version === this.version) {
      if (this.entries.size >= this.maxEntries) this.entries.clear()
      this.entries.set(key, value)
    }
    return value
  }

  private awaitReplay(replay: ReplayWatch): { lsn: Promise<string | undefined> } {
    // Undefined when the primary could not say: asked again by the next request.
    return { lsn: replay.primaryPosition().catch(() => undefined) }
  }

  /** Once the replica has replayed past the awaited position, answers computed from now on may be kept. */
  private async replicaCaughtUp(awaited: NonNullable<AnswerCache['awaited']>): Promise<boolean> {
    const replay = this.replay
    if (!replay) return true
    const lsn = await awaited.lsn
    if (lsn === undefined) {
      if (this.awaited === awaited) this.awaited = this.awaitReplay(replay)
      return false
    }
    const replayed = await replay.replayedUpTo(lsn).catch(() => false)
    // A later notification awaits a later position: this one settles nothing.
    if (!replayed || this.awaited !== awaited) return false
    // Nothing was kept since the notification (it moved the version; compute() alone ran since).
    this.awaited = undefined
    return true
  }
}

/**
 * A cache kept fresh by LISTEN mt_read_models on the primary, `databaseUrl`; with `replay`, its
 * answers come from a replica. `close()` stops listening.
 */
export function listeningAnswerCache(
  databaseUrl: string,
  replay?: ReplayWatch,
): { cache: AnswerCache; close(): Promise<void> } {
  const cache = new AnswerCache(replay)
  const listener = listen(
    databaseUrl,
    'mt_read_models',
    () => cache.invalidate(),
    (connected) => cache.setListening(connected),
  )
  return { cache, close: () => listener.close() }
}
