import { getJson, hasApiKey } from './api.js'

/**
 * Follows the log from `after` and hands each batch of new events to `onEvents`; `onState` is
 * told whether the page is live, and when not why: the log could not be read, or (`unshown`) new
 * events were read but could not be shown and are to be shown again. Where reads are
 * public it listens to the feed (GET /v1/feed, server-sent events): the browser reconnects by
 * itself and resumes with Last-Event-ID, so no event is lost or repeated. An EventSource cannot
 * send an Authorization header and the feed takes a key in no other way: with a key, it polls.
 */
export function followLog({ after, onEvents, onState }) {
  return hasApiKey() ? pollLog({ after, onEvents, onState }) : listenToFeed({ after, onEvents, onState })
}

/**
 * Events that come while a batch is being shown wait, and are shown together next: a burst of
 * facts costs one refresh of the page, not one per fact. A batch whose showing fails (the service
 * busy, a read refused for a moment) is shown again after a pause, with whatever came meanwhile:
 * no event is dropped for a failed refresh.
 */
function listenToFeed({ after, onEvents, onState }) {
  let position = after
  const waiting = []
  let showing = false
  let stopped = false
  let failures = 0
  const source = new EventSource(`/v1/feed?after=${encodeURIComponent(after)}`)

  async function showWaiting() {
    while (waiting.length && !stopped) {
      const batch = waiting.splice(0)
      const last = batch.at(-1).position
      try {
        await onEvents(batch, last)
      } catch (error) {
        waiting.unshift(...batch)
        failures++
        onState({ live: false, position, error, unshown: true })
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** failures, 30_000)))
        continue
      }
      failures = 0
      position = last
      onState({ live: true, position })
    }
  }

  source.addEventListener('recorded', (message) => {
    waiting.push(JSON.parse(message.data))
    if (showing) return
    showing = true
    void showWaiting().finally(() => {
      showing = false
    })
  })
  source.addEventListener('open', () => onState({ live: true, position }))
  let fallback
  source.addEventListener('error', () => {
    onState({ live: false, position, error: new Error('the feed is reconnecting') })
    // Closed, not reconnecting: the answer was no stream (a 503, a refusal). The log is polled instead.
    if (source.readyState === EventSource.CLOSED && !fallback) {
      fallback = pollLog({ after: position, onEvents, onState })
    }
  })
  return {
    stop() {
      stopped = true
      source.close()
      fallback?.stop()
    },
  }
}

/**
 * Polls GET /v1/events?after=… every `intervalMs` while the page is visible, reading whole pages
 * at once when behind. Positions are commit order, so polling with `after` never skips an event.
 */
function pollLog({ after, intervalMs = 2000, onEvents, onState }) {
  let position = after
  let stopped = false
  let timer
  let failures = 0

  async function poll() {
    timer = undefined
    if (stopped) return
    if (document.hidden) return
    let unshown = false
    try {
      const page = await getJson('/v1/events', { after: position, limit: 1000 })
      failures = 0
      onState({ live: true, position })
      if (page.events.length) {
        // Moved on only once shown: a failed showing reads the same events again.
        const last = page.events.at(-1).position
        unshown = true
        await onEvents(page.events, last)
        position = last
        onState({ live: true, position })
      }
      schedule(page.next === null ? intervalMs : 0)
    } catch (error) {
      failures++
      onState({ live: false, position, error, unshown })
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
