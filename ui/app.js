import { ApiError, getJson, isAbort, setApiKey } from './api.js'
import { Directory } from './directory.js'
import { h, replaceChildren } from './dom.js'
import {
  describePoint,
  formatMarketDate,
  lastDayOf,
  monthAt,
  monthIndex,
  monthOf,
  monthOfMarketDate,
} from './format.js'
import { followLog } from './live.js'
import { Market } from './market.js'
import { PriceChart } from './price-chart.js'
import { Timeline } from './timeline.js'
import { eventInHash, readState, writeState } from './url-state.js'

/** The explorer: wires the controls, the address and the live log to the timeline, market and chart. */

const $ = (id) => document.getElementById(id)
const ui = {
  slider: $('as-of-slider'),
  ticks: $('as-of-ticks'),
  asOfDate: $('as-of-date'),
  asOfNow: $('as-of-now'),
  knownAt: $('known-at'),
  knownAtLatest: $('known-at-latest'),
  pointLabel: $('point-label'),
  search: $('name-search'),
  results: $('name-results'),
  subject: $('subject-filter'),
  types: $('type-filter'),
  typeSummary: $('type-summary'),
  scale: $('log-scale'),
  live: $('live-status'),
  news: $('live-news'),
  announcer: $('announcer'),
  problem: $('problem'),
  keyForm: $('key-form'),
  keyInput: $('api-key'),
}

let state = readState()
let directory = new Directory()
let timeZone = 'UTC'
let head = 0
let sliderStart = 0
let live
let unseen = 0

const timeline = new Timeline({
  root: $('timeline-periods'),
  jump: $('jump-to'),
  status: $('timeline-status'),
  directory: () => directory,
  onSubject: (slug) => setSubject(slug),
  onAsOf: (occurredAt) => setAsOf(occurredAt, { push: true }),
})
const market = new Market({
  prices: $('prices-panel'),
  alliances: $('alliances-panel'),
  companies: $('companies-panel'),
  directory: () => directory,
  timeZone: () => timeZone,
})
const chart = new PriceChart({
  figure: $('price-chart'),
  chooser: $('chart-products'),
  directory: () => directory,
  timeZone: () => timeZone,
  onSelect: (products) => {
    state.products = products.join(',')
    writeState(state, { push: true })
    void loadChart().catch(report)
  },
})

// What sticks to the top of the page sits below the point-in-time bar, whatever its height.
new ResizeObserver(([entry]) => {
  document.documentElement.style.setProperty(
    '--bar',
    `${Math.ceil(entry.target.getBoundingClientRect().height)}px`,
  )
}).observe($('point-in-time'))

async function start() {
  hideProblem()
  head = (await getJson('/v1/events/head')).position
  const named = Directory.load({ knownAt: state.knownAt, consistentWith: head }).then((loaded) => {
    directory = loaded
  })
  await Promise.all([named, timeline.load(timelineFilters(), { consistentWith: head, named })])
  timeZone = timeline.timeZone
  await drawSlider()
  showState()
  await Promise.all([renderMarket({ consistentWith: head }), loadChart({ consistentWith: head })])
  document.body.dataset.ready = 'true'
  // The type filter starts folded away: its choices can come after the rest.
  void catalogueTypes()
    .then((types) => {
      drawTypeFilter(types)
      showState()
    })
    .catch(report)
  live?.stop()
  live = followLog({ after: head, onEvents: onNewEvents, onState: showLive })
  showLive({ live: true, position: head })
  const eventId = eventInHash()
  if (eventId) await reveal(eventId)
}

// ── point in time ───────────────────────────────────────────────────────────

/** The slider runs month by month over the log's span (whatever the filters), then one stop for "now". */
async function drawSlider() {
  const periods =
    state.type || state.subject
      ? (await getJson('/v1/timeline/periods', { knownAt: state.knownAt })).periods
      : [...timeline.sections.values()]
  const months = periods.map((p) => (p.precision === 'year' ? `${p.period}-01` : p.period))
  const now = monthOf(new Date().toISOString(), timeZone)
  const first = months[0] ?? now
  const last = [months.at(-1) ?? now, now].sort().at(-1)
  sliderStart = monthIndex(first)
  ui.slider.min = '0'
  ui.slider.max = String(monthIndex(last) - sliderStart + 1)
  replaceChildren(
    ui.ticks,
    [...new Set(months)].map((month) => h('option', { value: monthIndex(month) - sliderStart })),
  )
}

function sliderValueOf(asOf) {
  const max = Number(ui.slider.max)
  const month = monthOfMarketDate(asOf)
  if (!month) return max
  return Math.min(Math.max(monthIndex(month) - sliderStart, 0), max)
}

function showState() {
  ui.slider.value = String(sliderValueOf(state.asOf))
  ui.slider.setAttribute('aria-valuetext', state.asOf ? formatMarketDate(state.asOf) : 'now')
  ui.asOfDate.value = /^\d{4}-\d{2}-\d{2}$/.test(state.asOf) ? state.asOf : dateFieldOf(state.asOf)
  ui.knownAt.value = state.knownAt.slice(0, 10)
  ui.scale.checked = state.scale !== 'linear'
  ui.pointLabel.textContent = `${state.asOf ? `As of ${describePoint(state.asOf)}` : 'As of now'}, ${
    state.knownAt ? `as known at ${describePoint(state.knownAt)}` : 'as known now'
  }`
  for (const box of ui.types.querySelectorAll('input')) {
    box.checked = !state.type || typesSelected().includes(box.value)
  }
  ui.typeSummary.textContent = state.type ? `Types: ${typesSelected().length} chosen` : 'Types: all'
  drawSubject()
}

function dateFieldOf(asOf) {
  const month = monthOfMarketDate(asOf)
  return month ? lastDayOf(month) : ''
}

function setAsOf(asOf, { push }) {
  state.asOf = asOf
  writeState(state, { push })
  showState()
  scheduleMarket()
}

let marketTimer
function scheduleMarket() {
  clearTimeout(marketTimer)
  marketTimer = setTimeout(() => void renderMarket().catch(report), 120)
}

async function renderMarket({ consistentWith } = {}) {
  try {
    const point = await market.render({ asOf: state.asOf, knownAt: state.knownAt, consistentWith })
    if (!point) return
    $('market').dataset.asOf = point.asOf
    timeline.markAfter(point.asOf)
    chart.setAsOf(state.asOf ? point.asOf : undefined)
  } catch (error) {
    if (!isAbort(error)) throw error
  }
}

// A drag is one step back in history: its first move adds an entry, the others replace it.
let sliding = false
ui.slider.addEventListener('input', () => {
  const value = Number(ui.slider.value)
  const asOf = value >= Number(ui.slider.max) ? '' : lastDayOf(monthAt(sliderStart + value))
  setAsOf(asOf, { push: !sliding })
  sliding = true
})
ui.slider.addEventListener('change', () => {
  sliding = false
})
ui.asOfDate.addEventListener('change', () => {
  if (ui.asOfDate.value === '' || /^\d{4}-\d{2}-\d{2}$/.test(ui.asOfDate.value)) {
    setAsOf(ui.asOfDate.value, { push: true })
  }
})
ui.asOfNow.addEventListener('click', () => setAsOf('', { push: true }))
ui.knownAt.addEventListener('change', () => setKnownAt(ui.knownAt.value))
ui.knownAtLatest.addEventListener('click', () => setKnownAt(''))

function setKnownAt(knownAt) {
  state.knownAt = knownAt
  writeState(state, { push: true })
  void start().catch(report)
}

// ── timeline filters ────────────────────────────────────────────────────────

function timelineFilters() {
  return { type: state.type, subject: state.subject, knownAt: state.knownAt }
}

function typesSelected() {
  return state.type ? state.type.split(',') : []
}

/** Event types from the service's own OpenAPI document (the catalogue of POST /v1/events). */
async function catalogueTypes() {
  const openapi = await getJson('/openapi.json')
  const body = openapi.paths?.['/v1/events']?.post?.requestBody?.content?.['application/json']?.schema
  // The discriminator on `type` maps each event type to its schema.
  return Object.keys(body?.properties?.events?.items?.discriminator?.mapping ?? {})
}

function drawTypeFilter(types) {
  replaceChildren(
    ui.types,
    h('legend', { class: 'visually-hidden' }, 'Event types'),
    types.map((type) =>
      h(
        'label',
        {},
        h('input', { type: 'checkbox', name: 'type', value: type, onchange: onTypesChanged }),
        ' ',
        h('span', { class: `type type-${type.split('.')[0]}` }, type),
      ),
    ),
  )
}

function onTypesChanged(event) {
  const boxes = [...ui.types.querySelectorAll('input')]
  const chosen = boxes.filter((box) => box.checked).map((box) => box.value)
  if (chosen.length === 0) {
    event.target.checked = true
    announce('At least one type stays chosen.')
    return
  }
  state.type = chosen.length === boxes.length ? '' : chosen.join(',')
  writeState(state, { push: true })
  showState()
  void timeline.load(timelineFilters()).catch(report)
}

function setSubject(slug) {
  state.subject = slug
  writeState(state, { push: true })
  showState()
  void timeline.load(timelineFilters()).catch(report)
  if (!state.products) void loadChart().catch(report)
  $('timeline').scrollIntoView({ block: 'start' })
}

function drawSubject() {
  if (!state.subject) {
    replaceChildren(ui.subject, 'All subjects')
    return
  }
  replaceChildren(
    ui.subject,
    'Subject: ',
    h('strong', {}, directory.nameNodes(state.subject)),
    ' ',
    h(
      'button',
      { type: 'button', class: 'chip-clear', onclick: () => setSubject('') },
      h('span', { 'aria-hidden': 'true' }, '×'),
      h('span', { class: 'visually-hidden' }, 'Show all subjects'),
    ),
  )
}

ui.search.addEventListener('input', drawResults)
ui.search.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') {
    event.preventDefault()
    const first = directory.search(ui.search.value)[0]
    if (first) pick(first.slug)
  } else if (event.key === 'Escape') {
    ui.search.value = ''
    drawResults()
  } else if (event.key === 'ArrowDown') {
    event.preventDefault()
    ui.results.querySelector('button')?.focus()
  }
})
ui.results.addEventListener('keydown', (event) => {
  const buttons = [...ui.results.querySelectorAll('button')]
  const at = buttons.indexOf(document.activeElement)
  if (event.key === 'ArrowDown') buttons[at + 1]?.focus()
  else if (event.key === 'ArrowUp') (buttons[at - 1] ?? ui.search).focus()
  else if (event.key === 'Escape') ui.search.focus()
  else return
  event.preventDefault()
})

function drawResults() {
  const found = directory.search(ui.search.value)
  replaceChildren(
    ui.results,
    ui.search.value.trim() && found.length === 0
      ? h('li', { class: 'empty-note' }, 'No name matches.')
      : null,
    found.map((entity) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', 'data-slug': entity.slug, onclick: () => pick(entity.slug) },
          directory.nameNodes(entity.slug),
          h(
            'span',
            { class: 'kind' },
            entity.owner ? `${entity.kind} · ${directory.name(entity.owner)}` : entity.kind,
          ),
        ),
      ),
    ),
  )
}

function pick(slug) {
  ui.search.value = ''
  drawResults()
  setSubject(slug)
}

$('go-as-of').addEventListener('click', () => {
  const period = state.asOf ? timeline.periodAtOrBefore($('market').dataset.asOf) : timeline.lastPeriod()
  if (period) timeline.scrollTo(period)
})
$('go-latest').addEventListener('click', () => {
  const period = timeline.lastPeriod()
  if (period) timeline.scrollTo(period)
})

// ── chart ───────────────────────────────────────────────────────────────────

function loadChart({ consistentWith } = {}) {
  return chart.load({
    knownAt: state.knownAt,
    consistentWith,
    selected: state.products ? state.products.split(',') : undefined,
    subject: state.subject,
    scale: state.scale,
  })
}

ui.scale.addEventListener('change', () => {
  state.scale = ui.scale.checked ? 'log' : 'linear'
  writeState(state, { push: true })
  chart.setScale(state.scale)
})

// ── events: links, history, live ───────────────────────────────────────────

async function reveal(eventId) {
  if (await timeline.reveal(eventId)) return
  if (state.type || state.subject) {
    // Hidden by the filters: show everything, then the event.
    state.type = ''
    state.subject = ''
    writeState(state, { push: true })
    showState()
    await timeline.load(timelineFilters())
    if (await timeline.reveal(eventId)) return
  }
  announce('That event is not in the timeline as known at this date.')
}

window.addEventListener('hashchange', () => {
  const eventId = eventInHash()
  if (eventId) void reveal(eventId).catch(report)
})

window.addEventListener('popstate', () => {
  const before = state
  state = readState()
  showState()
  if (before.knownAt !== state.knownAt) return void start().catch(report)
  if (before.type !== state.type || before.subject !== state.subject) {
    void timeline.load(timelineFilters()).catch(report)
  }
  if (before.products !== state.products || before.subject !== state.subject) void loadChart().catch(report)
  if (before.scale !== state.scale) chart.setScale(state.scale)
  scheduleMarket()
})

const namingTypes = new Set(['entity.registered', 'product.launched', 'alliance.formed', 'event.retracted'])
const pricingTypes = new Set(['price.changed', 'product.launched', 'event.retracted', 'entity.registered'])

async function onNewEvents(events, position) {
  head = position
  if (state.knownAt) {
    // The view shows what was known at an earlier date: newer facts are not part of it.
    unseen += events.length
    return
  }
  if (events.some((event) => namingTypes.has(event.type))) {
    directory = await Directory.load({ consistentWith: position })
  }
  await Promise.all([
    timeline.refresh({ consistentWith: position, freshEvents: events }),
    renderMarket({ consistentWith: position }),
    events.some((event) => pricingTypes.has(event.type)) ? loadChart({ consistentWith: position }) : null,
  ])
  const named = events.slice(0, 3).map((event) => `${event.type} of ${directory.name(event.subject)}`)
  announce(
    `${events.length} new ${events.length === 1 ? 'event' : 'events'}: ${named.join('; ')}${events.length > 3 ? '…' : ''}`,
  )
  const latest = events.at(-1)
  replaceChildren(
    ui.news,
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

function showLive({ live: following, position, error }) {
  ui.live.classList.toggle('offline', !following)
  if (!following) {
    ui.live.textContent = `Reconnecting… (${error?.message ?? 'no answer'})`
  } else if (state.knownAt) {
    ui.live.textContent = `Live · ${unseen} newer ${unseen === 1 ? 'event' : 'events'} not shown (known-at view)`
  } else {
    ui.live.textContent = `Live · log position ${position}`
  }
}

function announce(text) {
  ui.announcer.textContent = text
}

// ── problems ────────────────────────────────────────────────────────────────

function report(error) {
  if (isAbort(error)) return
  if (error instanceof ApiError && error.status === 401) {
    ui.keyForm.hidden = false
    ui.keyInput.focus()
  }
  ui.problem.hidden = false
  ui.problem.textContent = `Something went wrong: ${error.message}`
}

function hideProblem() {
  ui.problem.hidden = true
}

ui.keyForm.addEventListener('submit', (event) => {
  event.preventDefault()
  setApiKey(ui.keyInput.value.trim())
  ui.keyForm.hidden = true
  void start().catch(report)
})

void start().catch(report)
