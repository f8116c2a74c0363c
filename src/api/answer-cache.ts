import { listen } from '../db/listen.js'

/**
 * Read-model answers, kept until any read model moves. Historic as-of answers change only when
 * a fact (possibly back-dated) is applied, and every applied batch sends NOTIFY mt_read_models
 * at commit: on it the whole cache is dropped. While the LISTEN connection is down nothing is
 * cached, so a missed notification can never leave a stale answer behind.
 */
export class AnswerCache {
  private readonly entries = new Map<string, unknown>()
  private version = 0
  private listening = false

  constructor(private readonly maxEntries = 5000) {}

  /** Drops every answer (a read model moved, or the notifications may have been missed). */
  invalidate(): void {
    this.version++
    this.entries.clear()
  }

  setListening(listening: boolean): void {
    this.listening = listening
    this.invalidate()
  }

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (!this.listening) return compute()
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
}

/** A cache kept fresh by LISTEN mt_read_models on `databaseUrl`; `close()` stops listening. */
export function listeningAnswerCache(databaseUrl: string): { cache: AnswerCache; close(): Promise<void> } {
  const cache = new AnswerCache()
  const listener = listen(
    databaseUrl,
    'mt_read_models',
    () => cache.invalidate(),
    (connected) => cache.setListening(connected),
  )
  return { cache, close: () => listener.close() }
}
