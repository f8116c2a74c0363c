import { getJson } from './api.js'
import { h, replaceChildren } from './dom.js'
import { chartOf, legendOf } from './price-chart-svg.js'
import { byCurrencyAndUnit, defaultSelection, productsOf, seriesOf } from './price-series.js'
import { ProductChooser } from './product-chooser.js'

/**
 * Each product's price per component over valid time, as a step chart drawn in SVG: one chart per
 * currency and unit, log or linear, "free" on a line of its own (a log scale has no zero), and a
 * marker per change that links to its event. Data: GET /v1/prices for which products have prices,
 * GET /v1/products/:product/prices for the history of the ones shown.
 */
export class PriceChart {
  constructor({ figure, chooser, directory, timeZone, onSelect }) {
    this.figure = figure
    this.chooser = new ProductChooser({ element: chooser, onSelect })
    this.directory = directory
    this.timeZone = timeZone
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
    this.chooser.draw({ products, shown, directory: this.directory() })
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
    replaceChildren(
      this.figure,
      [...byCurrencyAndUnit(this.series)].map(([per, series]) =>
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
}
