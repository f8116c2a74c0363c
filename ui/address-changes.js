import { eventInHash } from './url-state.js'

/**
 * The address changing under the page: the back button brings back an earlier view without a
 * reload, and a link to `#event=<id>` shows that event, clearing the filters that hide it.
 */
export function wireAddressChanges({ explorer, timeline, marketView, showState, restart, announce, report }) {
  async function reveal(eventId) {
    if (await timeline.reveal(eventId)) return
    if (explorer.view.type || explorer.view.subject) {
      // Hidden by the filters: show everything, then the event.
      explorer.change({ type: '', subject: '' }, { push: true })
      showState()
      await timeline.load(explorer.timelineFilters())
      if (await timeline.reveal(eventId)) return
    }
    announce('That event is not in the timeline as known at this date.')
  }

  window.addEventListener('hashchange', () => {
    const eventId = eventInHash()
    if (eventId) void reveal(eventId).catch(report)
  })

  window.addEventListener('popstate', () => {
    const before = explorer.restore()
    const view = explorer.view
    showState()
    if (before.knownAt !== view.knownAt) return restart()
    if (before.type !== view.type || before.subject !== view.subject || before.kind !== view.kind) {
      void timeline.load(explorer.timelineFilters()).catch(report)
    }
    if (before.products !== view.products || before.subject !== view.subject) {
      void marketView.loadChart().catch(report)
    }
    if (before.scale !== view.scale) marketView.setScale(view.scale)
    marketView.schedule()
  })

  /** Shows the event the address points at, if any. */
  async function revealFromAddress() {
    const eventId = eventInHash()
    if (eventId) await reveal(eventId)
  }

  return { revealFromAddress }
}
