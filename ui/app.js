import { wireAddressChanges } from './address-changes.js'
import { getJson } from './api.js'
import { wireCompare } from './compare.js'
import { Directory } from './directory.js'
import { createExplorer } from './explorer-state.js'
import { wireHistoryPanel } from './history-panel.js'
import { wireLiveNews } from './live-news.js'
import { wireMarketView } from './market-view.js'
import { wireNameSearch } from './name-search.js'
import { wirePointInTime } from './point-in-time.js'
import { wireProblems } from './problems.js'
import { Timeline } from './timeline.js'
import { wireTimelineFilters } from './timeline-filters.js'

/** The explorer: wires the controls, the address and the live log to the timeline, market and chart. */

// New events of these types change the names shown: the types the catalogue says name an entity
// (read from the API at start), and a retraction, which may undo one. And these, the price chart.
const namingTypes = new Set(['event.retracted'])
const pricingTypes = new Set(['price.changed', 'product.launched', 'event.retracted', 'entity.registered'])

const $ = (id) => document.getElementById(id)
const explorer = createExplorer()
const problems = wireProblems({
  problem: $('problem'),
  keyForm: $('key-form'),
  keyInput: $('api-key'),
  onKey: () => restart(),
})
const report = problems.report
const restart = () => void start().catch(report)

const timeline = new Timeline({
  root: $('timeline-periods'),
  jump: $('jump-to'),
  status: $('timeline-status'),
  directory: () => explorer.directory,
  onAsOf: (occurredAt) => pointInTime.setAsOf(occurredAt, { push: true }),
})
const marketView = wireMarketView({
  explorer,
  timeline,
  report,
  clearProblem: problems.clear,
  elements: {
    market: $('market'),
    prices: $('prices-panel'),
    alliances: $('alliances-panel'),
    companies: $('companies-panel'),
    chart: $('price-chart'),
    chooser: $('chart-products'),
    scale: $('log-scale'),
  },
})
const pointInTime = wirePointInTime({
  explorer,
  timeline,
  showState,
  scheduleMarket: marketView.schedule,
  restart,
  elements: {
    slider: $('as-of-slider'),
    ticks: $('as-of-ticks'),
    asOfDate: $('as-of-date'),
    asOfNow: $('as-of-now'),
    knownAt: $('known-at'),
    knownAtLatest: $('known-at-latest'),
    pointLabel: $('point-label'),
  },
})
const filters = wireTimelineFilters({
  explorer,
  timeline,
  showState,
  loadChart: marketView.loadChart,
  announce,
  report,
  elements: {
    types: $('type-filter'),
    typeSummary: $('type-summary'),
    subject: $('subject-filter'),
    reference: $('show-reference'),
    timelineSection: $('timeline'),
  },
})
wireNameSearch({
  directory: () => explorer.directory,
  search: $('name-search'),
  results: $('name-results'),
  onPick: (slug) => filters.setSubject(slug),
})
const compare = wireCompare({
  explorer,
  report,
  elements: {
    form: $('compare-form'),
    from: $('compare-from'),
    to: $('compare-to'),
    result: $('compare-result'),
  },
})
const historyPanel = wireHistoryPanel({
  explorer,
  report,
  onFilter: (slug) => filters.setSubject(slug),
  onAsOf: (occurredAt) => pointInTime.setAsOf(occurredAt, { push: true }),
  elements: {
    panel: $('history-panel'),
    title: $('history-title'),
    body: $('history-body'),
    close: $('history-close'),
    filter: $('history-filter'),
  },
})
const news = wireLiveNews({
  explorer,
  timeline,
  marketView,
  announce,
  namingTypes,
  pricingTypes,
  elements: { status: $('live-status'), news: $('live-news') },
})
const address = wireAddressChanges({ explorer, timeline, marketView, showState, restart, announce, report })

// What sticks to the top of the page sits below the point-in-time bar, whatever its height.
new ResizeObserver(([entry]) => {
  document.documentElement.style.setProperty(
    '--bar',
    `${Math.ceil(entry.target.getBoundingClientRect().height)}px`,
  )
}).observe($('point-in-time'))

async function start() {
  problems.hide()
  const [head, catalogue] = await Promise.all([getJson('/v1/events/head'), getJson('/v1/event-types')])
  explorer.head = head.position
  for (const { type, namesEntity } of catalogue.eventTypes) if (namesEntity) namingTypes.add(type)
  const named = Directory.load({ knownAt: explorer.view.knownAt, consistentWith: explorer.head }).then(
    (loaded) => {
      explorer.directory = loaded
    },
  )
  await Promise.all([
    named,
    timeline.load(explorer.timelineFilters(), { consistentWith: explorer.head, named }),
  ])
  explorer.timeZone = timeline.timeZone
  await pointInTime.drawSlider()
  showState()
  await Promise.all([
    marketView.render({ consistentWith: explorer.head }),
    marketView.loadChart({ consistentWith: explorer.head }),
  ])
  await openTimeline()
  document.body.dataset.ready = 'true'
  // The type filter starts folded away: its choices can come after the rest.
  void filters.loadTypes().then(showState).catch(report)
  news.follow()
  await address.revealFromAddress()
}

/**
 * The timeline opens at the as-of date: at the period that holds it (or the last before it), and
 * at the latest period when the view is of now. Only where it runs beside the market: on a narrow
 * screen it comes after the market, and the page opens at the top.
 */
async function openTimeline() {
  if (!wide.matches) return
  const period = explorer.view.asOf
    ? timeline.periodAtOrBefore($('market').dataset.asOf)
    : timeline.lastPeriod()
  if (period) await timeline.openAt(period)
}
const wide = window.matchMedia('(min-width: 60rem)')

/** Sets every control to the view. */
function showState() {
  pointInTime.show()
  marketView.show()
  filters.show()
  compare.show()
  historyPanel.show()
}

$('go-as-of').addEventListener('click', () => {
  const period = explorer.view.asOf
    ? timeline.periodAtOrBefore($('market').dataset.asOf)
    : timeline.lastPeriod()
  if (period) timeline.scrollTo(period)
})
$('go-latest').addEventListener('click', () => {
  const period = timeline.lastPeriod()
  if (period) timeline.scrollTo(period)
})

function announce(text) {
  $('announcer').textContent = text
}

restart()
