/**
 * Wakes sleeping loops. A wake that comes while a loop is busy is not lost: the loop's next
 * wait returns at once if anything woke it since it last looked.
 */
export class WakeSignal {
  private count = 0
  private waiters = new Set<() => void>()

  /** A token to pass to `wait`: wakes after it count. */
  mark(): number {
    return this.count
  }

  wake(): void {
    this.count++
    for (const resolve of this.waiters) resolve()
    this.waiters.clear()
  }

  /** Resolves on the next wake after `since`, or after `ms`. */
  wait(ms: number, since: number): Promise<void> {
    if (this.count !== since) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiters.add(done)
    })
  }
}
