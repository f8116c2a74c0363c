/**
 * The chart's data: which products have prices (GET /v1/prices), which are shown by default, and
 * their histories (GET /v1/products/:product/prices) as one series per product and component.
 */

const palette = ['#1f6feb', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4', '#57606a']
const defaultCount = 8

/** The products of a price list, once each, by name. */
export function productsOf(prices) {
  const seen = new Map()
  for (const price of prices) seen.set(price.product, { product: price.product, name: price.productName })
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name, 'en'))
}

/** The subject's products if it has prices, else all products (up to 8, the most recently changed). */
export function defaultSelection(products, prices, subject, directory) {
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

/**
 * One series per (product, component), its changes in valid-time order. A planned or announced
 * change (with a `status`) is no price: it is left out of the lines.
 */
export function seriesOf(histories, directory) {
  const series = []
  for (const history of histories) {
    const inEffect = history.changes.filter((change) => !change.status)
    const byComponent = groupBy(inEffect, (change) => change.component)
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

/** Prices are compared only in one currency and unit: one chart each, keyed "CNY / 1K tokens". */
export function byCurrencyAndUnit(series) {
  return groupBy(series, (line) => `${line.currency} / ${line.unit}`)
}

function groupBy(items, keyOf) {
  const groups = new Map()
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item])
  return groups
}
