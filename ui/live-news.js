import { Directory } from './directory.js'
import { h, replaceChildren } from './dom.js'
import { formatMarketDate } from './format.js'
import { followLog } from './live.js'

/**
 * The live part of the explorer: follows the log from its head and shows what is new in the
 * timeline, the market and the chart, with a line of news and a sentence for screen readers.
 * A view as known at an earlier date only counts newer events: they are not part of it.
 * `namingTypes` change names, `pricingTypes` the chart.
 */
export function wireLiveNews({
  explorer,
  timeline,
  marketView,
  announce,
  namingTypes,
  pricingTypes,
  elements,
}) {
  let follower

  async function onNewEvents(events, position) {
    explorer.head = position
    if (explorer.view.knownAt) {
      explorer.unseen += events.length
      return
    }
    if (events.some((event) => namingTypes.has(event.type))) {
      explorer.directory = await Directory.load({ consistentWith: position })
    }
    await Promise.all([
      timeline.refresh({ consistentWith: position, freshEvents: events }),
      marketView.render({ consistentWith: position }),
      events.some((event) => pricingTypes.has(event.type))
        ? marketView.loadChart({ consistentWith: position })
        : null,
    ])
    tell(events)
  }

  function tell(events) {
    const { directory } = explorer
    const named = events.slice(0, 3).map((event) => `${event.type} of ${directory.name(event.subject)}`)
    announce(
      `${events.length} new ${events.length === 1 ? 'event' : 'events'}: ${named.join('; ')}${events.length > 3 ? '…' : ''}`,
    )
    const latest = events.at(-1)
    replaceChildren(
      elements.news,
      `New: ${latest.type} of `,
      h(
        'a',
        { href: `#event=${latest.id}` },
        directory.name(latest.subject),
        `, ${formatMarketDate(latest.occurredAt)}`,
      ),
      events.length > 1 ? ` and ${events.length - 1} more` : '',
    )
  }

  function showLive({ live: following, position, error, unshown }) {
    const status = elements.status
    status.classList.toggle('offline', !following)
    if (!following) {
      const why = error?.message ?? 'no answer'
      // Events read but not shown: the page is connected, what it shows is behind.
      status.textContent = unshown
        ? `New events not shown yet (${why}), trying again…`
        : `Reconnecting… (${why})`
    } else if (explorer.view.knownAt) {
      const { unseen } = explorer
      status.textContent = `Live · ${unseen} newer ${unseen === 1 ? 'event' : 'events'} not shown (known-at view)`
    } else {
      status.textContent = `Live · log position ${position}`
    }
  }

  /** Follows the log from the explorer's head, instead of from wherever it followed before. */
  function follow() {
    follower?.stop()
    follower = followLog({ after: explorer.head, onEvents: onNewEvents, onState: showLive })
    showLive({ live: true, position: explorer.head })
  }

  return { follow }
}
