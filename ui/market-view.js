import { isAbort } from './api.js'
import { Market } from './market.js'
import { PriceChart } from './price-chart.js'

/**
 * The market part of the explorer: the panels drawn for the view's asOf and knownAt, and the
 * price chart of the chosen products (or the subject's) on the chosen scale. A market that could
 * not be drawn keeps the last one drawn, and the problem said stays until the market is drawn
 * again (`clearProblem`).
 */
export function wireMarketView({ explorer, timeline, elements, report, clearProblem }) {
  const market = new Market({
    prices: elements.prices,
    alliances: elements.alliances,
    companies: elements.companies,
    directory: () => explorer.directory,
    timeZone: () => explorer.timeZone,
  })
  const chart = new PriceChart({
    figure: elements.chart,
    chooser: elements.chooser,
    directory: () => explorer.directory,
    timeZone: () => explorer.timeZone,
    onSelect: (products) => {
      explorer.change({ products: products.join(',') }, { push: true })
      void loadChart().catch(report)
    },
  })
  let renderTimer

  async function render({ consistentWith } = {}) {
    try {
      const { asOf, knownAt } = explorer.view
      const point = await market.render({ asOf, knownAt, consistentWith })
      if (!point) return
      elements.market.dataset.asOf = point.asOf
      timeline.markAfter(point.asOf)
      chart.setAsOf(explorer.view.asOf ? point.asOf : undefined)
      clearProblem('market')
    } catch (error) {
      if (!isAbort(error)) throw error
    }
  }

  /** A slider drag moves the date many times a second: the market is asked once it rests. */
  function schedule() {
    clearTimeout(renderTimer)
    renderTimer = setTimeout(() => void render().catch((error) => report(error, 'market')), 120)
  }

  function loadChart({ consistentWith } = {}) {
    const { view } = explorer
    return chart.load({
      knownAt: view.knownAt,
      consistentWith,
      selected: view.products ? view.products.split(',') : undefined,
      subject: view.subject,
      scale: view.scale,
    })
  }

  function show() {
    elements.scale.checked = explorer.view.scale !== 'linear'
  }

  elements.scale.addEventListener('change', () => {
    explorer.change({ scale: elements.scale.checked ? 'log' : 'linear' }, { push: true })
    chart.setScale(explorer.view.scale)
  })

  return { render, schedule, loadChart, show, setScale: (scale) => chart.setScale(scale) }
}
