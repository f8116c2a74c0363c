import {
  isWithin,
  linearScale,
  logScale,
  placeMarkers,
  plotOf,
  spreadOnFree,
  stepPaths,
  timeScale,
  timeSpan,
  timeTicks,
} from './chart-geometry.js'
import { h, s } from './dom.js'
import { formatInstant, formatPrice, isFree } from './format.js'

/**
 * One step chart in SVG for the series of one currency and unit: axes, a step line per series,
 * a linked marker per change and the as-of line, laid out by chart-geometry.js.
 */
export function chartOf(series, { per, width, log, asOf, timeZone }) {
  const plot = plotOf(width, log)
  const changes = series.flatMap((line) => line.changes)
  const span = timeSpan(changes.map((c) => c.at))
  const x = timeScale(span, plot)
  const amounts = changes
    .flatMap((c) => [c.amount, c.previousAmount])
    .filter((a) => a != null)
    .map(Number)
  const y = log ? logScale(amounts, plot) : linearScale(amounts, plot)
  const yOf = (i) => spreadOnFree(y, i, series.length)
  const asOfLine = s(
    'g',
    { class: 'as-of-line' },
    s('line', { y1: plot.top - 6, y2: plot.xAxis }),
    s('text', { y: plot.top, 'dominant-baseline': 'middle' }, 'as of'),
  )
  const title = `Prices in ${per}, ${log ? 'log' : 'linear'} scale`
  const svg = s(
    'svg',
    {
      class: 'price-chart',
      width,
      height: plot.height,
      viewBox: `0 0 ${width} ${plot.height}`,
      role: 'group',
      'aria-label': `${title}: ${series.length} ${series.length === 1 ? 'price' : 'prices'}; each marker links to the change's event`,
      'data-scale': log ? 'log' : 'linear',
    },
    s('title', {}, title),
    amountAxisOf(y, plot, per),
    timeAxisOf(x, span, plot),
    asOfLine,
    s(
      'g',
      { class: 'series' },
      series.map((line, i) => {
        const { known, unknown } = stepPaths(line.changes, x, yOf(i), span)
        return s(
          'g',
          { 'data-series': line.key, stroke: line.color },
          unknown ? s('path', { d: unknown, class: 'step unknown-start' }) : null,
          s('path', { d: known, class: 'step' }),
        )
      }),
    ),
    s('g', { class: 'markers' }, markersOf(series, x, yOf, timeZone)),
  )
  svg.placeAsOf = (instant) => {
    const at = instant ? Date.parse(instant) : Number.NaN
    asOfLine.setAttribute('visibility', isWithin(span, at) ? 'visible' : 'hidden')
    if (!isWithin(span, at)) return
    for (const line of asOfLine.querySelectorAll('line')) {
      line.setAttribute('x1', x(at))
      line.setAttribute('x2', x(at))
    }
    asOfLine.querySelector('text').setAttribute('x', x(at) + 4)
  }
  svg.placeAsOf(asOf)
  return svg
}

function amountAxisOf(y, plot, per) {
  return s(
    'g',
    { class: 'axis y-axis' },
    y.ticks.map((tick) =>
      s(
        'g',
        {},
        s('line', { x1: plot.left, x2: plot.right, y1: tick.y, y2: tick.y, class: 'grid' }),
        s(
          'text',
          { x: plot.left - 8, y: tick.y, 'text-anchor': 'end', 'dominant-baseline': 'middle' },
          tick.label,
        ),
      ),
    ),
    s('text', { x: 4, y: 14, class: 'axis-title' }, per),
  )
}

function timeAxisOf(x, span, plot) {
  return s(
    'g',
    { class: 'axis x-axis' },
    s('line', { x1: plot.left, x2: plot.right, y1: plot.xAxis, y2: plot.xAxis }),
    timeTicks(span, plot).map((tick) =>
      s(
        'g',
        {},
        s('line', { x1: x(tick.at), x2: x(tick.at), y1: plot.xAxis, y2: plot.xAxis + 5 }),
        s('text', { x: x(tick.at), y: plot.xAxis + 18, 'text-anchor': 'middle' }, tick.label),
      ),
    ),
  )
}

/** A linked marker per change, moved aside where it would cover another. */
function markersOf(series, x, yOf, timeZone) {
  const points = series.flatMap((line, i) =>
    line.changes.map((change) => ({ line, change, cx: x(change.at), cy: yOf(i)(change.amount) })),
  )
  return placeMarkers(points).map(({ line, change, cx, cy }) => {
    const when = formatInstant(change.effectiveFrom, timeZone)
    const what =
      change.previousAmount != null
        ? `${formatPrice(change.previousAmount, change.currency, change.unit)} → ${formatPrice(change.amount, change.currency, change.unit)}`
        : formatPrice(change.amount, change.currency, change.unit)
    const label = `${line.name} ${line.component}: ${what}, ${when}`
    return s(
      'a',
      {
        href: `#event=${change.eventId}`,
        class: 'marker',
        'aria-label': label,
        'data-event-id': change.eventId,
      },
      s('title', {}, label),
      s('circle', { cx, cy, r: 5.5, fill: isFree(change.amount) ? '#fff' : line.color, stroke: line.color }),
    )
  })
}

/** Each series' latest price; a dashed start is explained where a series has one. */
export function legendOf(series) {
  return h(
    'ul',
    { class: 'legend' },
    series.map((line) => {
      const last = line.changes.at(-1)
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' })
      swatch.style.backgroundColor = line.color
      return h(
        'li',
        { 'data-series': line.key },
        swatch,
        `${line.name} · ${line.component}: `,
        h('strong', {}, formatPrice(last.amount, last.currency, last.unit)),
        line.changes[0].previousAmount != null
          ? h('span', { class: 'since' }, ' (dashed: in effect before its first dated change)')
          : null,
      )
    }),
  )
}
