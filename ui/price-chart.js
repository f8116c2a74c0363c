import { getJson } from './api.js'
import { h, replaceChildren, s } from './dom.js'
import { formatInstant, formatPrice, groupDigits, isFree } from './format.js'

const palette = ['#1f6feb', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4', '#57606a']
const defaultCount = 8
const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const day = 24 * 3600 * 1000

/**
 * Each product's price per component over valid time, as a step chart drawn in SVG: one chart per
 * currency and unit, log or linear, "free" on a line of its own (a log scale has no zero), and a
 * marker per change that links to its event. Data: GET /v1/prices for which products have prices,
 * GET /v1/products/:product/prices for the history of the ones shown.
 */
export class PriceChart {
  constructor({ figure, chooser, directory, timeZone, onSelect }) {
    this.figure = figure
    this.chooser = chooser
    this.directory = directory
    this.timeZone = timeZone
    this.onSelect = onSelect
    this.series = []
    this.products = []
    let width = 0
    new ResizeObserver(() => {
      if (Math.abs(this.figure.clientWidth - width) < 8) return
      width = this.figure.clientWidth
      this.draw()
    }).observe(figure)
  }

  /** Fetches the products with prices and the history of the selected ones, then draws. */
  async load({ knownAt, consistentWith, selected, subject, scale }) {
    this.generation = (this.generation ?? 0) + 1
    const generation = this.generation
    const current = await getJson('/v1/prices', { knownAt, consistentWith })
    const products = productsOf(current.prices)
    const shown = selected?.length
      ? selected.filter((slug) => products.some((p) => p.product === slug))
      : defaultSelection(products, current.prices, subject, this.directory())
    const histories = await Promise.all(
      shown.map((product) =>
        getJson(`/v1/products/${encodeURIComponent(product)}/prices`, { knownAt, consistentWith }),
      ),
    )
    if (generation !== this.generation) return
    this.products = products
    this.shown = shown
    this.series = seriesOf(histories, this.directory())
    this.scale = scale
    this.drawChooser()
    this.draw()
  }

  setScale(scale) {
    this.scale = scale
    this.draw()
  }

  /** Moves the as-of line of each chart; nothing else depends on the date. */
  setAsOf(asOf) {
    this.asOf = asOf
    for (const svg of this.figure.querySelectorAll('svg.price-chart')) svg.placeAsOf?.(asOf)
  }

  draw() {
    if (!this.series) return
    if (this.series.length === 0) {
      replaceChildren(this.figure, h('p', { class: 'empty-note' }, 'No price history to draw.'))
      return
    }
    const width = Math.max(this.figure.clientWidth, 300)
    const groups = groupBy(this.series, (series) => `${series.currency} / ${series.unit}`)
    replaceChildren(
      this.figure,
      [...groups].map(([per, series]) =>
        chartOf(series, {
          per,
          width,
          log: this.scale !== 'linear',
          asOf: this.asOf,
          timeZone: this.timeZone(),
        }),
      ),
      legendOf(this.series),
    )
  }

  drawChooser() {
    const directory = this.directory()
    replaceChildren(
      this.chooser,
      h('summary', {}, `Products shown: ${this.shown.length} of ${this.products.length}`),
      h(
        'fieldset',
        {},
        h('legend', { class: 'visually-hidden' }, 'Products in the chart'),
        this.products.map((p) =>
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              value: p.product,
              checked: this.shown.includes(p.product),
              onchange: () => this.onSelect(this.checked()),
            }),
            ' ',
            directory.nameNodes(p.product),
          ),
        ),
      ),
    )
  }

  checked() {
    return [...this.chooser.querySelectorAll('input:checked')].map((input) => input.value)
  }
}

function productsOf(prices) {
  const seen = new Map()
  for (const price of prices) seen.set(price.product, { product: price.product, name: price.productName })
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name, 'en'))
}

/** The subject's products if it has prices, else all products (up to 8, the most recently changed). */
function defaultSelection(products, prices, subject, directory) {
  const slugs = products.map((p) => p.product)
  if (subject) {
    const own = slugs.filter((slug) => slug === subject || directory.get(slug)?.owner === subject)
    if (own.length) return own
  }
  if (slugs.length <= defaultCount) return slugs
  const latest = new Map()
  for (const price of prices) {
    const at = price.effectiveFrom ? Date.parse(price.effectiveFrom) : 0
    latest.set(price.product, Math.max(latest.get(price.product) ?? 0, at))
  }
  return [...latest]
    .sort((a, b) => b[1] - a[1])
    .slice(0, defaultCount)
    .map(([slug]) => slug)
}

/** One series per (product, component), its changes in valid-time order. */
function seriesOf(histories, directory) {
  const series = []
  for (const history of histories) {
    const byComponent = groupBy(history.changes, (change) => change.component)
    for (const [component, changes] of byComponent) {
      series.push({
        key: `${history.product}/${component}`,
        product: history.product,
        name: directory.name(history.product),
        component,
        currency: changes[0].currency,
        unit: changes[0].unit,
        changes: changes.map((change) => ({ ...change, at: Date.parse(change.effectiveFrom) })),
        color: palette[series.length % palette.length],
      })
    }
  }
  return series
}

function chartOf(series, { per, width, log, asOf, timeZone }) {
  const height = 300
  const margin = { top: 30, right: 18, bottom: 40, left: 70 }
  const freeLane = log ? 34 : 0
  const plot = {
    left: margin.left,
    right: width - margin.right,
    top: margin.top,
    bottom: height - margin.bottom - freeLane,
  }
  const changes = series.flatMap((s) => s.changes)
  const times = changes.map((c) => c.at)
  const [t0, t1] = [Math.min(...times), Math.max(...times)]
  const pad = Math.max((t1 - t0) * 0.12, 60 * day)
  const [xMin, xMax] = [t0 - pad, t1 + pad]
  const x = (t) => plot.left + ((t - xMin) / (xMax - xMin)) * (plot.right - plot.left)
  const amounts = changes
    .flatMap((c) => [c.amount, c.previousAmount])
    .filter((a) => a != null)
    .map(Number)
  const y = log ? logScale(amounts, plot, freeLane) : linearScale(amounts, plot)

  // Free lines would lie on one another: each keeps a few pixels of its own on the free line.
  const yOf = (i) => (amount) =>
    Number(amount) === 0 ? y(amount) + (i - (series.length - 1) / 2) * 3 : y(amount)
  const paths = series.map((line, i) => stepsOf(line, x, yOf(i), xMin, xMax))
  const markers = markersOf(series, x, yOf, timeZone)
  const asOfLine = s(
    'g',
    { class: 'as-of-line' },
    s('line', { y1: plot.top - 6, y2: height - margin.bottom }),
    s('text', { y: plot.top, 'dominant-baseline': 'middle' }, 'as of'),
  )
  const title = `Prices in ${per}, ${log ? 'log' : 'linear'} scale`
  const svg = s(
    'svg',
    {
      class: 'price-chart',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-label': `${title}: ${series.length} ${series.length === 1 ? 'price' : 'prices'}; each marker links to the change's event`,
      'data-scale': log ? 'log' : 'linear',
    },
    s('title', {}, title),
    s(
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
    ),
    s(
      'g',
      { class: 'axis x-axis' },
      s('line', { x1: plot.left, x2: plot.right, y1: height - margin.bottom, y2: height - margin.bottom }),
      timeTicks(xMin, xMax, plot).map((tick) =>
        s(
          'g',
          {},
          s('line', {
            x1: x(tick.at),
            x2: x(tick.at),
            y1: height - margin.bottom,
            y2: height - margin.bottom + 5,
          }),
          s('text', { x: x(tick.at), y: height - margin.bottom + 18, 'text-anchor': 'middle' }, tick.label),
        ),
      ),
    ),
    asOfLine,
    s(
      'g',
      { class: 'series' },
      paths.map(({ known, unknown }, i) =>
        s(
          'g',
          { 'data-series': series[i].key, stroke: series[i].color },
          unknown ? s('path', { d: unknown, class: 'step unknown-start' }) : null,
          s('path', { d: known, class: 'step' }),
        ),
      ),
    ),
    s('g', { class: 'markers' }, markers),
  )
  svg.placeAsOf = (instant) => {
    const at = instant ? Date.parse(instant) : Number.NaN
    asOfLine.setAttribute('visibility', at >= xMin && at <= xMax ? 'visible' : 'hidden')
    if (!(at >= xMin && at <= xMax)) return
    for (const line of asOfLine.querySelectorAll('line')) {
      line.setAttribute('x1', x(at))
      line.setAttribute('x2', x(at))
    }
    asOfLine.querySelector('text').setAttribute('x', x(at) + 4)
  }
  svg.placeAsOf(asOf)
  return svg
}

/** Decades from the smallest to the largest price; free on a lane of its own under the axis. */
function logScale(amounts, plot, freeLane) {
  const positive = amounts.filter((a) => a > 0)
  const lo = 10 ** Math.floor(Math.log10(positive.length ? Math.min(...positive) : 0.001))
  let hi = 10 ** Math.ceil(Math.log10(positive.length ? Math.max(...positive) : 1))
  if (hi <= lo) hi = lo * 10
  const [a, b] = [Math.log10(lo), Math.log10(hi)]
  const freeY = plot.bottom + freeLane * 0.65
  const y = (amount) =>
    Number(amount) === 0
      ? freeY
      : plot.bottom - ((Math.log10(Number(amount)) - a) / (b - a)) * (plot.bottom - plot.top)
  const ticks = []
  for (let e = Math.round(a); e <= Math.round(b); e++) ticks.push({ y: y(10 ** e), label: decimalOf(e) })
  ticks.push({ y: freeY, label: 'free' })
  return Object.assign(y, { ticks })
}

function linearScale(amounts, plot) {
  const max = Math.max(...amounts, 0)
  const step = niceStep(max / 4 || 1)
  const hi = Math.ceil(max / step) * step || step
  const y = (amount) => plot.bottom - (Number(amount) / hi) * (plot.bottom - plot.top)
  const ticks = []
  for (let v = 0; v <= hi + step / 2; v += step) {
    ticks.push({ y: y(v), label: v === 0 ? '0 (free)' : groupDigits(trimFloat(v)) })
  }
  return Object.assign(y, { ticks })
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw))
  const fraction = raw / power
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
}

/** 10^e written out: 0.0001, 0.01, 1, 100. */
function decimalOf(e) {
  return e >= 0 ? groupDigits(`1${'0'.repeat(e)}`) : `0.${'0'.repeat(-e - 1)}1`
}

function trimFloat(v) {
  return String(Number(v.toPrecision(12)))
}

/** The step path of one series, and the dashed stretch before its first change when that is known. */
function stepsOf(line, x, y, xMin, xMax) {
  const [first, ...rest] = line.changes
  let known = ''
  let unknown = ''
  if (first.previousAmount != null) {
    unknown = `M${x(xMin)},${y(first.previousAmount)}H${x(first.at)}`
    known = `M${x(first.at)},${y(first.previousAmount)}V${y(first.amount)}`
  } else {
    known = `M${x(first.at)},${y(first.amount)}`
  }
  for (const change of rest) known += `H${x(change.at)}V${y(change.amount)}`
  known += `H${x(xMax)}`
  return { known, unknown }
}

/** A linked marker per change; a marker that would cover another is moved aside to stay clickable. */
function markersOf(series, x, yOf, timeZone) {
  const items = series
    .flatMap((line, i) =>
      line.changes.map((change) => ({
        line,
        change,
        cx: x(change.at),
        cy: yOf(i)(change.amount),
      })),
    )
    .sort((a, b) => a.cx - b.cx)
  // Placed markers by 11-pixel cell: a marker only needs to look at the cells around its own.
  const cells = new Map()
  const cellOf = (cx, cy) => `${Math.floor(cx / 11)},${Math.floor(cy / 11)}`
  const covers = (item) => {
    const [col, row] = [Math.floor(item.cx / 11), Math.floor(item.cy / 11)]
    for (let c = col - 1; c <= col + 1; c++) {
      for (let r = row - 1; r <= row + 1; r++) {
        for (const p of cells.get(`${c},${r}`) ?? []) {
          if (Math.abs(p.cx - item.cx) < 11 && Math.abs(p.cy - item.cy) < 11) return true
        }
      }
    }
    return false
  }
  for (const item of items) {
    while (covers(item)) item.cx += 11
    const cell = cellOf(item.cx, item.cy)
    cells.set(cell, [...(cells.get(cell) ?? []), item])
  }
  return items.map(({ line, change, cx, cy }) => {
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

/** Month ticks over short spans, year ticks over long ones; at most about seven labels. */
function timeTicks(xMin, xMax, plot) {
  const start = new Date(xMin)
  const end = new Date(xMax)
  const months =
    (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + end.getUTCMonth() - start.getUTCMonth()
  const maxLabels = Math.max(2, Math.floor((plot.right - plot.left) / 80))
  const ticks = []
  if (months <= 36) {
    const every = Math.ceil((months + 1) / maxLabels)
    for (let i = 1; i <= months; i++) {
      const at = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + i, 1)
      const month = new Date(at).getUTCMonth()
      if (i % every === 0) ticks.push({ at, label: `${shortMonths[month]} ${new Date(at).getUTCFullYear()}` })
    }
  } else {
    const years = end.getUTCFullYear() - start.getUTCFullYear()
    const every = Math.ceil((years + 1) / maxLabels)
    for (let year = start.getUTCFullYear() + 1; year <= end.getUTCFullYear(); year++) {
      if (year % every === 0) ticks.push({ at: Date.UTC(year, 0, 1), label: String(year) })
    }
  }
  return ticks
}

function legendOf(series) {
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

function groupBy(items, keyOf) {
  const groups = new Map()
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item])
  return groups
}
