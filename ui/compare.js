import { getJson } from './api.js'
import { h, replaceChildren } from './dom.js'
import { formatInstant } from './format.js'

/**
 * Two dates side by side (GET /v1/diff): what was added, removed or changed between A and B,
 * grouped by read model, each changed field as before → after, and why it differs: it took effect
 * between the two dates (valid time), or it became known between them (knowledge).
 */

const modelTitles = {
  price: 'Prices',
  alliance: 'Alliances',
  'alliance-member': 'Alliance members',
  'funding-round': 'Funding rounds',
  valuation: 'Valuations',
  product: 'Products',
  relation: 'Relations',
  metric: 'Metrics',
}

const causeWords = {
  'valid-time': 'took effect between A and B',
  knowledge: 'became known between A and B',
}

/** Fields of a row that say where it came from, not what it is. */
const bookkeeping = new Set(['eventId', 'eventIds', 'position', 'recordedAt', 'source'])

/** Models with more changes than this are folded, but for the first. */
const foldedOver = 6

const isInstant = (value) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)

export async function fetchComparison({ fromAsOf, toAsOf, knownAt, consistentWith }) {
  return getJson('/v1/diff', {
    fromAsOf,
    toAsOf,
    fromKnownAt: knownAt,
    toKnownAt: knownAt,
    consistentWith,
  })
}

/** The comparison, one table a model; `directory` names the rows, `timeZone` dates them. */
export function renderComparison(root, answer, { directory, timeZone }) {
  const { changes } = answer
  const head = h(
    'p',
    { class: 'compare-points' },
    h('span', { class: 'point-a' }, `A: ${formatInstant(answer.from.asOf, timeZone)}`),
    h('span', { class: 'point-b' }, `B: ${formatInstant(answer.to.asOf, timeZone)}`),
    h('span', { class: 'count' }, `${changes.length} ${changes.length === 1 ? 'change' : 'changes'}`),
  )
  if (changes.length === 0) {
    replaceChildren(root, head, h('p', { class: 'empty-note' }, 'Nothing differs between A and B.'))
    return
  }
  const models = [...new Set(changes.map((change) => change.model))]
  const show = (value) => display(value, directory, timeZone)
  replaceChildren(
    root,
    head,
    models.map((model, i) => {
      const ofModel = changes.filter((change) => change.model === model)
      // The first model, and any short one, open; the rest folded, to be opened one at a time.
      return h(
        'details',
        { class: 'compare-model', 'data-model': model, open: i === 0 || ofModel.length <= foldedOver },
        h(
          'summary',
          {},
          h('h4', {}, modelTitles[model] ?? model),
          ' ',
          h('span', { class: 'count' }, `${ofModel.length} ${ofModel.length === 1 ? 'change' : 'changes'}`),
        ),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'compare' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Row'),
                h('th', { scope: 'col' }, 'A'),
                h('th', { scope: 'col' }, 'B'),
                h('th', { scope: 'col' }, 'Why'),
              ),
            ),
            h(
              'tbody',
              {},
              ofModel.map((change) => rowOf(change, { directory, show })),
            ),
          ),
        ),
      )
    }),
  )
}

function rowOf(change, { directory, show }) {
  const fields = fieldsShown(change)
  const side = (row, Tag, className) =>
    row
      ? h(
          'ul',
          { class: 'fields' },
          fields.map((field) =>
            h(
              'li',
              { 'data-field': field },
              h('span', { class: 'field-name' }, field),
              ' ',
              h(Tag, { class: className }, show(row[field])),
            ),
          ),
        )
      : h('span', { class: 'absent' }, 'none')
  return h(
    'tr',
    {
      class: `change change-${change.change}`,
      'data-change': change.change,
      'data-key': Object.values(change.key).join('/'),
    },
    h(
      'th',
      { scope: 'row' },
      keyOf(change.key, directory),
      ' ',
      h('span', { class: `change-badge change-${change.change}` }, change.change),
    ),
    h('td', { class: 'before' }, side(change.before, change.change === 'added' ? 'span' : 'del', 'was')),
    h('td', { class: 'after' }, side(change.after, change.change === 'removed' ? 'span' : 'ins', 'now')),
    h(
      'td',
      { class: 'cause' },
      h('span', { class: `cause-badge cause-${change.cause}`, 'data-cause': change.cause }, change.cause),
      ' ',
      h('span', { class: 'cause-words' }, causeWords[change.cause] ?? ''),
      ' ',
      change.eventIds.map((id, i) => [i ? ' ' : '', h('a', { href: `#event=${id}` }, `event ${i + 1}`)]),
    ),
  )
}

/** A changed row shows what differs; an added or removed one, all it says. Key fields are in its name. */
function fieldsShown(change) {
  const rows = [change.before, change.after].filter(Boolean)
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter(
    (name) => !bookkeeping.has(name) && !(name in change.key),
  )
  if (change.change !== 'changed') return names
  return names.filter((name) => JSON.stringify(change.before[name]) !== JSON.stringify(change.after[name]))
}

function keyOf(key, directory) {
  return Object.values(key)
    .filter((value) => value !== null)
    .flatMap((value, i) => [i ? ' · ' : '', directory.get(value) ? directory.historyButton(value) : value])
}

function display(value, directory, timeZone) {
  if (value === null || value === undefined) return '—'
  if (isInstant(value)) return formatInstant(value, timeZone)
  if (Array.isArray(value)) return value.map((item) => display(item, directory, timeZone)).join(', ')
  if (typeof value === 'object') {
    if ('value' in value && 'currency' in value) return `${value.currency} ${value.value}`
    return JSON.stringify(value)
  }
  if (typeof value === 'string' && directory.get(value)) return directory.name(value)
  return String(value)
}

/**
 * The compare form: A and B from the address (`compareFrom`, `compareTo`; B empty is now), drawn
 * again whenever they or the knownAt of the view change.
 */
export function wireCompare({ explorer, elements, report }) {
  const { form, from, to, result } = elements
  let drawn = ''

  async function draw() {
    const { compareFrom, compareTo, knownAt } = explorer.view
    const asked = JSON.stringify([compareFrom, compareTo, knownAt])
    if (asked === drawn) return
    drawn = asked
    if (!compareFrom) {
      replaceChildren(result, h('p', { class: 'empty-note' }, 'Choose date A, and B (empty: now).'))
      return
    }
    result.setAttribute('aria-busy', 'true')
    try {
      const answer = await fetchComparison({
        fromAsOf: compareFrom,
        toAsOf: compareTo,
        knownAt,
        consistentWith: explorer.head,
      })
      if (drawn !== asked) return
      renderComparison(result, answer, { directory: explorer.directory, timeZone: explorer.timeZone })
    } catch (error) {
      drawn = ''
      throw error
    } finally {
      if (drawn === asked || drawn === '') result.removeAttribute('aria-busy')
    }
  }

  function show() {
    from.value = explorer.view.compareFrom
    to.value = explorer.view.compareTo
    void draw().catch(report)
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    explorer.change({ compareFrom: from.value, compareTo: to.value }, { push: true })
    show()
  })

  return { show }
}
