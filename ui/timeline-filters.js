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
  const { types, typeSummary, subject, timelineSection } = elements

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
    drawSubject()
  }

  return { loadTypes, setSubject, show }
}

/** Event types from the service's own OpenAPI document (the catalogue of POST /v1/events). */
async function catalogueTypes() {
  const openapi = await getJson('/openapi.json')
  const body = openapi.paths?.['/v1/events']?.post?.requestBody?.content?.['application/json']?.schema
  // The discriminator on `type` maps each event type to its schema.
  return Object.keys(body?.properties?.events?.items?.discriminator?.mapping ?? {})
}
