import { groupDigits } from './format.js'

/**
 * The price chart's geometry: its frame, scales, ticks, step paths and marker placement, from
 * numbers to numbers and strings. Nothing here knows the DOM; the types are in chart-geometry.d.ts.
 */

const day = 24 * 3600 * 1000
const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const height = 300
const margin = { top: 30, right: 18, bottom: 40, left: 70 }
/** Markers are this many pixels wide: closer than that, one covers the other. */
const markerCell = 11

/** The frame of a chart `width` pixels wide; a log chart keeps a lane under its plot for "free". */
export function plotOf(width, log) {
  const freeLane = log ? 34 : 0
  return {
    width,
    height,
    left: margin.left,
    right: width - margin.right,
    top: margin.top,
    bottom: height - margin.bottom - freeLane,
    xAxis: height - margin.bottom,
    freeLane,
  }
}

/** The valid time shown: the changes' span, padded each side by 12% of it and at least 60 days. */
export function timeSpan(times) {
  const [t0, t1] = [Math.min(...times), Math.max(...times)]
  const pad = Math.max((t1 - t0) * 0.12, 60 * day)
  return { min: t0 - pad, max: t1 + pad }
}

export function isWithin(span, at) {
  return at >= span.min && at <= span.max
}

/** Instants (ms) to pixels across the plot. */
export function timeScale(span, plot) {
  return (at) => plot.left + ((at - span.min) / (span.max - span.min)) * (plot.right - plot.left)
}

/** Decades from the smallest to the largest price; free on a lane of its own under the axis. */
export function logScale(amounts, plot) {
  const positive = amounts.filter((a) => a > 0)
  const lo = 10 ** Math.floor(Math.log10(positive.length ? Math.min(...positive) : 0.001))
  let hi = 10 ** Math.ceil(Math.log10(positive.length ? Math.max(...positive) : 1))
  if (hi <= lo) hi = lo * 10
  const [a, b] = [Math.log10(lo), Math.log10(hi)]
  const freeY = plot.bottom + plot.freeLane * 0.65
  const y = (amount) =>
    Number(amount) === 0
      ? freeY
      : plot.bottom - ((Math.log10(Number(amount)) - a) / (b - a)) * (plot.bottom - plot.top)
  const ticks = []
  for (let e = Math.round(a); e <= Math.round(b); e++) ticks.push({ y: y(10 ** e), label: decimalOf(e) })
  ticks.push({ y: freeY, label: 'free' })
  return Object.assign(y, { ticks })
}

/** From zero ("0 (free)") to a round step above the largest price, in four or so steps. */
export function linearScale(amounts, plot) {
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

/** 1, 2 or 5 times a power of ten, the smallest at least `raw`. */
export function niceStep(raw) {
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

/** Free lines would lie on one another: line `i` of `count` keeps a few pixels of its own there. */
export function spreadOnFree(y, i, count) {
  return (amount) => (Number(amount) === 0 ? y(amount) + (i - (count - 1) / 2) * 3 : y(amount))
}

/** The step path of one series, and the dashed stretch before its first change when that is known. */
export function stepPaths(changes, x, y, span) {
  const [first, ...rest] = changes
  let known = ''
  let unknown = ''
  if (first.previousAmount != null) {
    unknown = `M${x(span.min)},${y(first.previousAmount)}H${x(first.at)}`
    known = `M${x(first.at)},${y(first.previousAmount)}V${y(first.amount)}`
  } else {
    known = `M${x(first.at)},${y(first.amount)}`
  }
  for (const change of rest) known += `H${x(change.at)}V${y(change.amount)}`
  known += `H${x(span.max)}`
  return { known, unknown }
}

/**
 * The markers from left to right, each that would cover one placed before it moved right until
 * it does not, so that every marker stays clickable.
 */
export function placeMarkers(points) {
  const placed = points.map((point) => ({ ...point })).sort((a, b) => a.cx - b.cx)
  // Placed markers by cell: a marker only needs to look at the cells around its own.
  const cells = new Map()
  const cellOf = (cx, cy) => `${Math.floor(cx / markerCell)},${Math.floor(cy / markerCell)}`
  const covers = (item) => {
    const [col, row] = [Math.floor(item.cx / markerCell), Math.floor(item.cy / markerCell)]
    for (let c = col - 1; c <= col + 1; c++) {
      for (let r = row - 1; r <= row + 1; r++) {
        for (const p of cells.get(`${c},${r}`) ?? []) {
          if (Math.abs(p.cx - item.cx) < markerCell && Math.abs(p.cy - item.cy) < markerCell) return true
        }
      }
    }
    return false
  }
  for (const item of placed) {
    while (covers(item)) item.cx += markerCell
    const cell = cellOf(item.cx, item.cy)
    cells.set(cell, [...(cells.get(cell) ?? []), item])
  }
  return placed
}

/** Month ticks over short spans, year ticks over long ones; at most one label per 80 pixels. */
export function timeTicks(span, plot) {
  const start = new Date(span.min)
  const end = new Date(span.max)
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
