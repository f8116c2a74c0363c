import { h, replaceChildren } from './dom.js'

/** The picker of the products in the chart: one box per product with prices, the shown ones ticked. */
export class ProductChooser {
  constructor({ element, onSelect }) {
    this.element = element
    this.onSelect = onSelect
  }

  draw({ products, shown, directory }) {
    replaceChildren(
      this.element,
      h('summary', {}, `Products shown: ${shown.length} of ${products.length}`),
      h(
        'fieldset',
        {},
        h('legend', { class: 'visually-hidden' }, 'Products in the chart'),
        products.map((p) =>
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              value: p.product,
              checked: shown.includes(p.product),
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
    return [...this.element.querySelectorAll('input:checked')].map((input) => input.value)
  }
}
