import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls `check` until it returns something other than undefined or false, at most `timeoutMs`:
 * a wait on an observable state instead of a fixed sleep. Rejects naming `what` it waited for.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`)
    await sleep(everyMs)
  }
}
