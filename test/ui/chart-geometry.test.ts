import { describe, expect, it } from 'vitest'
import {
  isWithin,
  linearScale,
  logScale,
  niceStep,
  placeMarkers,
  plotOf,
  spreadOnFree,
  stepPaths,
  timeScale,
  timeSpan,
  timeTicks,
} from '../../ui/chart-geometry.js'

/** The price chart's geometry, without a browser: the numbers the SVG is drawn from. */
const day = 24 * 3600 * 1000
const logPlot = plotOf(600, true)
const linearPlot = plotOf(600, false)
/** Reads a path as the numbers it is made of: instants and amounts stand for their pixels. */
const asIs = (value: string | number): number => Number(value)

describe('the log scale', () => {
  it('maps equal ratios of price to equal distances', () => {
    const y = logScale([0.0005, 0.02], logPlot)
    const tenfold = y(0.001) - y(0.01)
    expect(y(0.01) - y(0.1)).toBeCloseTo(tenfold, 9)
    expect(y(0.0005) - y(0.005)).toBeCloseTo(tenfold, 9)
    expect(y('0.02')).toBeLessThan(y('0.0005'))
  })

  it('spans whole decades around the prices, each labelled as written out, and free on its own line', () => {
    const y = logScale([0.0005, 0.02], logPlot)
    expect(y.ticks.map((tick) => tick.label)).toEqual(['0.0001', '0.001', '0.01', '0.1', 'free'])
    expect(y(0.0001)).toBeCloseTo(logPlot.bottom, 9)
    expect(y(0.1)).toBeCloseTo(logPlot.top, 9)
  })

  it('draws free below the plot, in the lane kept for it above the time axis', () => {
    const y = logScale([0, 0.0005, 0.02], logPlot)
    expect(y('0')).toBeGreaterThan(logPlot.bottom)
    expect(y('0')).toBeLessThan(logPlot.xAxis)
    expect(y.ticks.at(-1)).toEqual({ y: y(0), label: 'free' })
  })

  it('groups the digits of large decades', () => {
    const y = logScale([150_000_000, 300_000_000], logPlot)
    expect(y.ticks.map((tick) => tick.label)).toEqual(['100,000,000', '1,000,000,000', 'free'])
  })
})

describe('the linear scale', () => {
  it('runs from free at the bottom to a round step at or above the highest price', () => {
    const y = linearScale([0.0005, 0.02], linearPlot)
    expect(y.ticks.map((tick) => tick.label)).toEqual(['0 (free)', '0.005', '0.01', '0.015', '0.02'])
    expect(y(0)).toBe(linearPlot.bottom)
    expect(y(0.02)).toBeCloseTo(linearPlot.top, 9)
  })

  it('maps equal differences of price to equal distances', () => {
    const y = linearScale([3, 7], linearPlot)
    expect(y(2) - y(3)).toBeCloseTo(y(6) - y(7), 9)
  })

  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect([0.3, 1, 1.5, 3, 7, 75_000_000].map(niceStep)).toEqual([0.5, 1, 2, 5, 10, 100_000_000])
    const y = linearScale([300_000_000], linearPlot)
    expect(y.ticks.map((tick) => tick.label)).toEqual([
      '0 (free)',
      '100,000,000',
      '200,000,000',
      '300,000,000',
    ])
  })
})

describe('free lines of several series', () => {
  it('sit a few pixels apart around the free line, other prices where the scale puts them', () => {
    const y = logScale([0, 1], logPlot)
    const ys = [0, 1, 2].map((i) => spreadOnFree(y, i, 3)('0'))
    expect(ys).toEqual([y(0) - 3, y(0), y(0) + 3])
    expect(spreadOnFree(y, 0, 3)('1')).toBe(y(1))
  })
})

describe('a price step line', () => {
  const span = { min: 0, max: 100 }

  it('holds each price until the next change, turns there, and runs on to the end of the chart', () => {
    const paths = stepPaths(
      [
        { at: 10, amount: '30' },
        { at: 40, amount: '20' },
        { at: 70, amount: '50' },
      ],
      asIs,
      asIs,
      span,
    )
    expect(paths).toEqual({ known: 'M10,30H40V20H70V50H100', unknown: '' })
  })

  it('draws the price known to be in effect before its first change from the start of the chart', () => {
    const paths = stepPaths([{ at: 10, amount: '1', previousAmount: '4' }], asIs, asIs, span)
    expect(paths).toEqual({ unknown: 'M0,4H10', known: 'M10,4V1H100' })
  })
})

describe('valid time across the chart', () => {
  const may = Date.UTC(2024, 4, 21)

  it('pads the changes by at least 60 days on each side', () => {
    expect(timeSpan([may, may + 10 * day])).toEqual({ min: may - 60 * day, max: may + 70 * day })
  })

  it('pads a span of years by 12% on each side', () => {
    const span = timeSpan([may, may + 1000 * day])
    expect(span).toEqual({ min: may - 120 * day, max: may + 1120 * day })
  })

  it('puts the span from the left to the right edge of the plot', () => {
    const span = timeSpan([may, may + 10 * day])
    const x = timeScale(span, linearPlot)
    expect(x(span.min)).toBe(linearPlot.left)
    expect(x(span.max)).toBe(linearPlot.right)
    expect(isWithin(span, may)).toBe(true)
    expect(isWithin(span, span.max + 1)).toBe(false)
  })

  it('ticks the first of each month over a short span, inside it', () => {
    const span = timeSpan([may, may + 10 * day])
    const ticks = timeTicks(span, linearPlot)
    expect(ticks.map((tick) => tick.label)).toEqual(['Apr 2024', 'May 2024', 'Jun 2024', 'Jul 2024'])
    expect(ticks.map((tick) => new Date(tick.at).getUTCDate())).toEqual([1, 1, 1, 1])
    expect(ticks.every((tick) => isWithin(span, tick.at))).toBe(true)
  })

  it('ticks years over a long span, no more than one label per 80 pixels', () => {
    const span = { min: Date.UTC(2000, 6, 1), max: Date.UTC(2030, 6, 1) }
    const plot = plotOf(400, false)
    const ticks = timeTicks(span, plot)
    expect(ticks.length).toBeLessThanOrEqual((plot.right - plot.left) / 80)
    expect(ticks.map((tick) => tick.label)).toEqual(['2002', '2013', '2024'])
    expect(ticks.map((tick) => new Date(tick.at).toISOString().slice(5, 10))).toEqual([
      '01-01',
      '01-01',
      '01-01',
    ])
  })
})

describe('chart markers', () => {
  it('are moved right, one marker apart, where they would cover one another', () => {
    const placed = placeMarkers([
      { id: 'b', cx: 100, cy: 50 },
      { id: 'a', cx: 100, cy: 50 },
      { id: 'c', cx: 300, cy: 50 },
    ])
    expect(placed).toEqual([
      { id: 'b', cx: 100, cy: 50 },
      { id: 'a', cx: 111, cy: 50 },
      { id: 'c', cx: 300, cy: 50 },
    ])
  })

  it('stay where they are when they lie apart, in order from left to right', () => {
    const points = [
      { cx: 200, cy: 10 },
      { cx: 100, cy: 10 },
      { cx: 100, cy: 40 },
    ]
    expect(placeMarkers(points)).toEqual([
      { cx: 100, cy: 10 },
      { cx: 100, cy: 40 },
      { cx: 200, cy: 10 },
    ])
    expect(points[0]).toEqual({ cx: 200, cy: 10 })
  })
})
