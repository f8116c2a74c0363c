import { getJson } from './api.js'

/**
 * Follows the log from `after` (GET /v1/events?after=…): polls every `intervalMs` while the page
 * is visible, reads whole pages at once when behind, and hands each batch of new events to
 * `onEvents`. Positions are commit order, so polling with `after` never skips an event.
 */
export function followLog({ after, intervalMs = 2000, onEvents, onState }) {
  let position = after
  let stopped = false
  let timer
  let failures = 0

  async function poll() {
    timer = undefined
    if (stopped) return
    if (document.hidden) return
    try {
      const page = await getJson('/v1/events', { after: position, limit: 1000 })
      failures = 0
      onState({ live: true, position })
      if (page.events.length) {
        position = page.events.at(-1).position
        await onEvents(page.events, position)
        onState({ live: true, position })
      }
      schedule(page.next === null ? intervalMs : 0)
    } catch (error) {
      failures++
      onState({ live: false, position, error })
      schedule(Math.min(intervalMs * 2 ** failures, 30_000))
    }
  }

  function schedule(ms) {
    if (!stopped && timer === undefined) timer = setTimeout(poll, ms)
  }

  const onVisibility = () => {
    if (!document.hidden) schedule(0)
  }
  document.addEventListener('visibilitychange', onVisibility)
  schedule(intervalMs)
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisibility)
    },
  }
}
