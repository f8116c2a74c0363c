import { getJson } from './api.js'
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

const isDay = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value)

/**
 * The point-in-time bar: the as-of slider and date, the known-at date, and the sentence naming
 * the view. The slider runs month by month over the log's span (whatever the filters), then one
 * stop for "now".
 */
export function wirePointInTime({ explorer, timeline, elements, showState, scheduleMarket, restart }) {
  const { slider, ticks, asOfDate, asOfNow, knownAt, knownAtLatest, pointLabel } = elements
  let sliderStart = 0
  // A drag is one step back in history: its first move adds an entry, the others replace it.
  let sliding = false

  async function drawSlider() {
    const { view } = explorer
    const periods =
      view.type || view.subject
        ? (await getJson('/v1/timeline/periods', { knownAt: view.knownAt })).periods
        : [...timeline.sections.values()]
    const months = periods.map((p) => (p.precision === 'year' ? `${p.period}-01` : p.period))
    const now = monthOf(new Date().toISOString(), explorer.timeZone)
    const first = months[0] ?? now
    const last = [months.at(-1) ?? now, now].sort().at(-1)
    sliderStart = monthIndex(first)
    slider.min = '0'
    slider.max = String(monthIndex(last) - sliderStart + 1)
    replaceChildren(
      ticks,
      [...new Set(months)].map((month) => h('option', { value: monthIndex(month) - sliderStart })),
    )
  }

  function sliderValueOf(asOf) {
    const max = Number(slider.max)
    const month = monthOfMarketDate(asOf)
    if (!month) return max
    return Math.min(Math.max(monthIndex(month) - sliderStart, 0), max)
  }

  function show() {
    const { asOf, knownAt: known } = explorer.view
    slider.value = String(sliderValueOf(asOf))
    slider.setAttribute('aria-valuetext', asOf ? formatMarketDate(asOf) : 'now')
    asOfDate.value = isDay(asOf) ? asOf : dateFieldOf(asOf)
    knownAt.value = known.slice(0, 10)
    pointLabel.textContent = `${asOf ? `As of ${describePoint(asOf)}` : 'As of now'}, ${
      known ? `as known at ${describePoint(known)}` : 'as known now'
    }`
  }

  function setAsOf(asOf, { push }) {
    explorer.change({ asOf }, { push })
    showState()
    scheduleMarket()
  }

  function setKnownAt(value) {
    explorer.change({ knownAt: value }, { push: true })
    restart()
  }

  slider.addEventListener('input', () => {
    const value = Number(slider.value)
    const asOf = value >= Number(slider.max) ? '' : lastDayOf(monthAt(sliderStart + value))
    setAsOf(asOf, { push: !sliding })
    sliding = true
  })
  slider.addEventListener('change', () => {
    sliding = false
  })
  asOfDate.addEventListener('change', () => {
    if (asOfDate.value === '' || isDay(asOfDate.value)) setAsOf(asOfDate.value, { push: true })
  })
  asOfNow.addEventListener('click', () => setAsOf('', { push: true }))
  knownAt.addEventListener('change', () => setKnownAt(knownAt.value))
  knownAtLatest.addEventListener('click', () => setKnownAt(''))

  return { drawSlider, show, setAsOf }
}

function dateFieldOf(asOf) {
  const month = monthOfMarketDate(asOf)
  return month ? lastDayOf(month) : ''
}
