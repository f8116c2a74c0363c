import { getJson } from './api.js'
import { h, replaceChildren } from './dom.js'

/**
 * The timeline's filters: the event types, a box each (from the service's own catalogue), and the
 * subject, a chip that clears it. At least one type stays chosen; all chosen is no filter.
 */
export function wireTimelineFilters({
  explorer,
  timeline,
  elements,
  showState,
  loadChart,
  announce,
  report,
}) {
  const { types, typeSummary, subject, reference, timelineSection } = elements

  const typesSelected = () => (explorer.view.type ? explorer.view.type.split(',') : [])

  /** Draws a box per event type, once the catalogue is known. */
  async function loadTypes() {
    const catalogue = await catalogueTypes()
    replaceChildren(
      types,
      h('legend', { class: 'visually-hidden' }, 'Event types'),
      catalogue.map((type) =>
        h(
          'label',
          {},
          h('input', { type: 'checkbox', name: 'type', value: type, onchange: onTypesChanged }),
          ' ',
          h('span', { class: `type type-${type.split('.')[0]}` }, type),
        ),
      ),
    )
  }

  function onTypesChanged(event) {
    const boxes = [...types.querySelectorAll('input')]
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value)
    if (chosen.length === 0) {
      event.target.checked = true
      announce('At least one type stays chosen.')
      return
    }
    explorer.change({ type: chosen.length === boxes.length ? '' : chosen.join(',') }, { push: true })
    showState()
    void timeline.load(explorer.timelineFilters()).catch(report)
  }

  /** Registrations are reference data, folded away unless asked for (`kind=all`). */
  function onReferenceChanged() {
    explorer.change({ kind: reference.checked ? 'all' : '' }, { push: true })
    showState()
    void timeline.load(explorer.timelineFilters()).catch(report)
  }
  reference.addEventListener('change', onReferenceChanged)

  function setSubject(slug) {
    explorer.change({ subject: slug }, { push: true })
    showState()
    void timeline.load(explorer.timelineFilters()).catch(report)
    if (!explorer.view.products) void loadChart().catch(report)
    timelineSection.scrollIntoView({ block: 'start' })
  }

  function drawSubject() {
    const slug = explorer.view.subject
    if (!slug) {
      replaceChildren(subject, 'All subjects')
      return
    }
    replaceChildren(
      subject,
      'Subject: ',
      h('strong', {}, explorer.directory.nameNodes(slug)),
      ' ',
      h(
        'button',
        { type: 'button', class: 'chip-clear', onclick: () => setSubject('') },
        h('span', { 'aria-hidden': 'true' }, '×'),
        h('span', { class: 'visually-hidden' }, 'Show all subjects'),
      ),
    )
  }

  function show() {
    for (const box of types.querySelectorAll('input')) {
      box.checked = !explorer.view.type || typesSelected().includes(box.value)
    }
    typeSummary.textContent = explorer.view.type ? `Types: ${typesSelected().length} chosen` : 'Types: all'
    reference.checked = explorer.view.kind === 'all'
    drawSubject()
  }

  return { loadTypes, setSubject, show }
}

/**
 * The types of fact from the service's own catalogue (GET /v1/event-types). Reference data
 * (registrations: who exists) is no part of the market's history, which the timeline tells: the
 * service leaves it out by default, the filter does not offer it, and a box of its own shows it.
 */
async function catalogueTypes() {
  const { eventTypes } = await getJson('/v1/event-types')
  return eventTypes.filter((type) => !type.reference).map((type) => type.type)
}
