import { WakeSignal } from '../background/wake-signal.js'
import { channels } from '../db/channels.js'
import { type Listener, listen } from '../db/listen.js'
import type { EventStore, FeedHorizon } from '../store/event-store.js'

export interface FeedHubOptions {
  readonly store: EventStore
  /** The primary, to LISTEN for appends on; unset: the safety interval alone wakes the feeds. */
  readonly databaseUrl?: string
  /** How often every feed looks anyway: a notification is missed while the listener reconnects. */
  readonly pollMs: number
  readonly warn: (error: unknown, message: string) => void
}

/** What a feed tells its hub, for operators and tests: how far it has read. */
export interface FollowerStats {
  /** Pages read from the log that held something to send (a recorded and a notice page count as one). */
  pagesRead: number
  sent: number
}

export interface Follower {
  readonly stats: FollowerStats
  /** Ends the stream (the app is closing). */
  end(): void
}

/**
 * What every feed of this process shares: one LISTEN connection, one wake signal, one horizon per
 * wake, and a timer for the next effective notice. The listener starts with the first feed.
 */
export class FeedHub {
  readonly signal = new WakeSignal()
  private readonly followers = new Set<Follower>()
  private listener: Listener | undefined
  private poll: NodeJS.Timeout | undefined
  private effectiveTimer: { at: number; timer: NodeJS.Timeout } | undefined
  private latest: { mark: number; horizon: Promise<FeedHorizon> } | undefined
  private closed = false

  constructor(private readonly options: FeedHubOptions) {}

  get isClosed(): boolean {
    return this.closed
  }

  add(follower: Follower): () => void {
    this.start()
    this.followers.add(follower)
    return () => this.followers.delete(follower)
  }

  stats(): FollowerStats[] {
    return [...this.followers].map((f) => ({ ...f.stats }))
  }

  /** A horizon taken after wake `mark`: shared by every feed woken by the same wake. */
  horizon(mark: number): Promise<FeedHorizon> {
    if (this.latest && this.latest.mark >= mark) return this.latest.horizon
    const taken = { mark: this.signal.mark(), horizon: this.options.store.feedHorizon() }
    this.latest = taken
    taken.horizon.then(
      (h) => this.wakeAt(h.nextEffective),
      () => {
        if (this.latest === taken) this.latest = undefined
      },
    )
    return taken.horizon
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.poll)
    clearTimeout(this.effectiveTimer?.timer)
    for (const follower of this.followers) follower.end()
    this.followers.clear()
    this.signal.wake()
    await this.listener?.close()
  }

  private start(): void {
    if (this.closed || this.poll) return
    this.poll = setInterval(() => this.signal.wake(), this.options.pollMs)
    this.poll.unref()
    const { databaseUrl, warn } = this.options
    if (!databaseUrl) return
    this.listener = listen(
      databaseUrl,
      channels.events,
      () => this.signal.wake(),
      (connected, error) => {
        // After a reconnection, look for whatever was appended while not listening.
        if (connected) this.signal.wake()
        else if (error) warn(error, 'the feed cannot listen for appends; retrying in 1 s')
      },
    )
  }

  /** Wakes the feeds once `at` has passed, so its effective notices go out on time. */
  private wakeAt(at: Date | null): void {
    if (!at || this.closed) return
    const when = at.getTime() + 1
    if (this.effectiveTimer && this.effectiveTimer.at <= when) return
    clearTimeout(this.effectiveTimer?.timer)
    // At least 10 ms: the database's clock may be a little behind this one.
    const timer = setTimeout(
      () => {
        this.effectiveTimer = undefined
        this.signal.wake()
      },
      Math.max(10, when - Date.now()),
    )
    timer.unref()
    this.effectiveTimer = { at: when, timer }
  }
}
