import { getAllPages } from './api.js'
import { h, replaceChildren } from './dom.js'
import { formatInstant, formatMarketDate, precisionWords } from './format.js'
import { sourceOf } from './timeline.js'

/**
 * A subject's history: every fact about it (registrations included), in valid-time order, with
 * its date, summary and source, and what became of it: retracted, or a correction of another.
 * `fetchHistory` asks the service and `renderHistory` draws the answer, so that the source of the
 * history can change without the panel.
 */

/**
 * The history from GET /v1/timeline (`kind=all`). A retracted fact is out of the timeline as known
 * after its retraction: it is read as known the instant before, and shown as retracted. A fact
 * recorded with the retraction, of the same type, is the correction.
 */
export async function fetchHistory(subject, { knownAt } = {}) {
  const read = (known) =>
    getAllPages('/v1/timeline', 'events', { subject, kind: 'all', knownAt: known }).then(
      (page) => page.events,
    )
  const facts = await read(knownAt)
  const retractions = facts.filter((fact) => fact.type === 'event.retracted')
  const retracted = await Promise.all(
    retractions.map(async (retraction) => {
      const before = new Date(Date.parse(retraction.recordedAt) - 1).toISOString()
      const fact = (await read(before)).find((earlier) => earlier.eventId === retraction.data.eventId)
      return fact && { ...fact, retracted: retractionOf(retraction) }
    }),
  )
  const entries = [...facts, ...retracted.filter(Boolean)].map((fact) => ({
    ...fact,
    retracted: fact.retracted ?? null,
    corrects: correctedBy(fact, retractions, retracted),
  }))
  entries.sort((a, b) => Date.parse(a.effectiveFrom) - Date.parse(b.effectiveFrom) || a.position - b.position)
  return { subject, knownAt: knownAt || null, entries }
}

function retractionOf(retraction) {
  return { at: retraction.recordedAt, reason: retraction.data.reason ?? '', eventId: retraction.eventId }
}

/** The retracted fact this one restates: recorded in the same batch as its retraction, of its type. */
function correctedBy(fact, retractions, retracted) {
  if (fact.type === 'event.retracted') return null
  const restated = retracted.find(
    (earlier, i) =>
      earlier &&
      earlier.eventId !== fact.eventId &&
      earlier.type === fact.type &&
      retractions[i]?.recordedAt === fact.recordedAt,
  )
  return restated?.eventId ?? null
}

/** The history as a list, one item a fact; `onAsOf` shows the market at a fact's date. */
export function renderHistory(list, history, { onAsOf }) {
  if (history.entries.length === 0) {
    replaceChildren(list, h('p', { class: 'empty-note' }, 'Nothing is known of this subject.'))
    return
  }
  replaceChildren(
    list,
    h(
      'ol',
      { class: 'history-entries' },
      history.entries.map((entry) =>
        h(
          'li',
          {
            class: `history-entry${entry.retracted ? ' retracted' : ''}${entry.corrects ? ' correction' : ''}`,
            'data-event-id': entry.eventId,
            'data-type': entry.type,
          },
          h(
            'p',
            { class: 'entry-meta' },
            h(
              'time',
              { datetime: entry.occurredAt, title: precisionWords(entry.precision) },
              formatMarketDate(entry.occurredAt),
            ),
            ' ',
            h('span', { class: `type type-${entry.type.split('.')[0]}` }, entry.type),
            entry.status ? [' ', h('span', { class: 'status-badge' }, entry.status)] : null,
            entry.retracted ? [' ', h('span', { class: 'retracted-badge' }, 'retracted')] : null,
            entry.corrects ? [' ', h('span', { class: 'correction-badge' }, 'correction')] : null,
          ),
          h('p', { class: 'summary' }, entry.summary),
          entry.retracted
            ? h(
                'p',
                { class: 'retraction' },
                `Retracted ${formatInstant(entry.retracted.at, 'UTC')} UTC`,
                entry.retracted.reason ? `: ${entry.retracted.reason}` : '',
              )
            : null,
          entry.source ? sourceOf(entry.source) : null,
          h(
            'p',
            { class: 'entry-actions' },
            // A retracted fact is in no timeline as known now; a registration only in one with kind=all.
            entry.retracted || entry.type === 'entity.registered'
              ? null
              : h('a', { href: `#event=${entry.eventId}` }, 'In the timeline'),
            h(
              'button',
              { type: 'button', class: 'link', onclick: () => onAsOf(entry.occurredAt) },
              `The market as of ${formatMarketDate(entry.occurredAt)}`,
            ),
          ),
        ),
      ),
    ),
  )
}

/**
 * The panel: opened by a click on any name marked `data-history` (timeline, prices, alliances,
 * companies), closed by its button or Escape, focus returned to the name. Its subject is part of
 * the view (`history` in the address), so a link or a reload opens it again and the back button
 * closes or reopens it: `show` sets the panel to the view, drawn as known at the view's knownAt.
 * `onFilter` keeps the timeline to the subject.
 */
export function wireHistoryPanel({ explorer, elements, onFilter, onAsOf, report }) {
  const { panel, title, body, close, filter } = elements
  let opener
  let shown
  // The subject and knownAt drawn, or being drawn.
  let drawn = ''

  async function draw() {
    const { history: subject, knownAt } = explorer.view
    if (!subject) {
      if (shown !== undefined) hide()
      return
    }
    const asked = JSON.stringify([subject, knownAt])
    if (asked === drawn) return
    const opening = shown !== subject
    drawn = asked
    shown = subject
    panel.dataset.subject = subject
    replaceChildren(title, 'History of ', h('span', {}, explorer.directory.nameNodes(subject)))
    replaceChildren(body, h('p', { class: 'empty-note' }, 'Loading…'))
    panel.setAttribute('aria-busy', 'true')
    panel.hidden = false
    if (opening) title.focus({ preventScroll: true })
    try {
      const history = await fetchHistory(subject, { knownAt })
      if (drawn !== asked) return
      renderHistory(body, history, { onAsOf })
    } catch (error) {
      if (drawn === asked) drawn = ''
      throw error
    } finally {
      if (drawn === asked || drawn === '') panel.removeAttribute('aria-busy')
    }
  }

  function hide() {
    panel.hidden = true
    shown = undefined
    drawn = ''
    opener?.focus({ preventScroll: true })
  }

  /** Sets the panel to the view: open on its `history` subject, or closed. */
  function show() {
    void draw().catch(report)
  }

  /** Opens the panel on `subject` from a name (`from`): a new step in the browser's history. */
  function open(subject, from) {
    opener = from
    explorer.change({ history: subject }, { push: true })
    show()
  }

  function dismiss() {
    if (!explorer.view.history) return
    explorer.change({ history: '' }, { push: true })
    show()
  }

  document.addEventListener('click', (event) => {
    const name = event.target instanceof Element ? event.target.closest('[data-history]') : null
    if (!name) return
    event.preventDefault()
    open(name.dataset.history, name)
  })
  close.addEventListener('click', dismiss)
  filter.addEventListener('click', () => {
    if (shown) onFilter(shown)
  })
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') dismiss()
  })

  return { open, close: dismiss, show }
}
