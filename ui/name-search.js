import { h, replaceChildren } from './dom.js'

/**
 * The name search: entities matching what is typed, in English or as written locally; Enter
 * takes the first, the arrow keys move through the list, Escape leaves it.
 */
export function wireNameSearch({ directory, search, results, onPick }) {
  function draw() {
    const found = directory().search(search.value)
    replaceChildren(
      results,
      search.value.trim() && found.length === 0 ? h('li', { class: 'empty-note' }, 'No name matches.') : null,
      found.map((entity) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', 'data-slug': entity.slug, onclick: () => pick(entity.slug) },
            directory().nameNodes(entity.slug),
            h(
              'span',
              { class: 'kind' },
              entity.owner ? `${entity.kind} · ${directory().name(entity.owner)}` : entity.kind,
            ),
          ),
        ),
      ),
    )
  }

  function pick(slug) {
    search.value = ''
    draw()
    onPick(slug)
  }

  search.addEventListener('input', draw)
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      const first = directory().search(search.value)[0]
      if (first) pick(first.slug)
    } else if (event.key === 'Escape') {
      search.value = ''
      draw()
    } else if (event.key === 'ArrowDown') {
      event.preventDefault()
      results.querySelector('button')?.focus()
    }
  })
  results.addEventListener('keydown', (event) => {
    const buttons = [...results.querySelectorAll('button')]
    const at = buttons.indexOf(document.activeElement)
    if (event.key === 'ArrowDown') buttons[at + 1]?.focus()
    else if (event.key === 'ArrowUp') (buttons[at - 1] ?? search).focus()
    else if (event.key === 'Escape') search.focus()
    else return
    event.preventDefault()
  })
}
