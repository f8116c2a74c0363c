/** Types of chart-geometry.js, the price chart's pure geometry, for the tests that import it. */

/** A chart's frame in pixels: the plot between left/right and top/bottom, the time axis at `xAxis`. */
export interface Plot {
  readonly width: number
  readonly height: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
  readonly xAxis: number
  /** Height of the lane under a log plot where free prices are drawn (0 on a linear chart). */
  readonly freeLane: number
}

/** Valid time shown, in milliseconds since the epoch. */
export interface TimeSpan {
  readonly min: number
  readonly max: number
}

export interface AmountTick {
  readonly y: number
  readonly label: string
}

/** A price (a decimal string or a number) to a height in pixels, with the ticks of its axis. */
export interface AmountScale {
  (amount: string | number): number
  readonly ticks: readonly AmountTick[]
}

export interface TimeTick {
  readonly at: number
  readonly label: string
}

/** One change of a price: when it takes effect (ms), the amount after it and, if known, before it. */
export interface PriceStep {
  readonly at: number
  readonly amount: string | number
  readonly previousAmount?: string | number | null
}

export interface StepPaths {
  /** SVG path data from the first change on. */
  readonly known: string
  /** SVG path data of the price in effect before the first change, or '' when that is unknown. */
  readonly unknown: string
}

export interface MarkerPoint {
  readonly cx: number
  readonly cy: number
}

export function plotOf(width: number, log: boolean): Plot
export function timeSpan(times: readonly number[]): TimeSpan
export function isWithin(span: TimeSpan, at: number): boolean
export function timeScale(span: TimeSpan, plot: Plot): (at: number) => number
export function logScale(amounts: readonly number[], plot: Plot): AmountScale
export function linearScale(amounts: readonly number[], plot: Plot): AmountScale
export function niceStep(raw: number): number
export function spreadOnFree(
  y: (amount: string | number) => number,
  i: number,
  count: number,
): (amount: string | number) => number
export function stepPaths(
  changes: readonly [PriceStep, ...PriceStep[]],
  x: (at: number) => number,
  y: (amount: string | number) => number,
  span: TimeSpan,
): StepPaths
export function placeMarkers<T extends MarkerPoint>(points: readonly T[]): T[]
export function timeTicks(span: TimeSpan, plot: Plot): TimeTick[]
