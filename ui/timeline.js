import { getJson } from './api.js'
import { h, langOf, replaceChildren, webAddress } from './dom.js'
import { formatInstant, formatMarketDate, monthOf, precisionWords } from './format.js'

const pageSize = 200
/** Pixels kept for an event not drawn yet, so the scroll bar spans the whole timeline from the start. */
const estimatedEntryHeight = 140

/**
 * Every event in valid-time order, one section per period (GET /v1/timeline/periods). A period's
 * events are fetched (GET /v1/timeline, a page at a time) only when its section comes near the
 * viewport, and drawn sections off screen are skipped by the browser (content-visibility): ten
 * thousand events cost a few sections of DOM until someone scrolls through them. Sections, not the
 * placeholders inside them, are watched at first: content-visibility skips the layout of what is
 * inside a section far from view, so a placeholder there would never be seen to intersect.
 */
export class Timeline {
  constructor({ root, jump, status, directory, onAsOf }) {
    this.root = root
    this.jump = jump
    this.status = status
    this.directory = directory
    this.onAsOf = onAsOf
    this.sections = new Map()
    this.generation = 0
    this.asOf = undefined
    /** Events that arrived while the page was open: marked as new wherever they are drawn. */
    this.fresh = new Set()
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), {
      rootMargin: '1200px 0px',
    })
    jump.addEventListener('change', () => {
      if (jump.value) this.scrollTo(jump.value)
    })
  }

  /**
   * Draws the timeline for these filters (`type`, `subject`, `kind`, `knownAt`), sections empty until seen;
   * `named` is a promise of the names the events are drawn with.
   */
  async load(filters, { consistentWith, named } = {}) {
    this.filters = filters
    // Events are drawn with the names of the entities: not before those are known.
    this.named = named ?? this.named ?? Promise.resolve()
    const generation = ++this.generation
    const answer = await getJson('/v1/timeline/periods', { ...this.filterParams(), consistentWith })
    if (generation !== this.generation) return
    this.timeZone = answer.timeZone
    this.observer.disconnect()
    this.sections = new Map(answer.periods.map((period) => [period.period, this.sectionOf(period)]))
    replaceChildren(
      this.root,
      answer.periods.length
        ? [...this.sections.values()].map((section) => section.element)
        : this.emptyNote(),
    )
    for (const section of this.sections.values()) this.observer.observe(section.element)
    this.describe(answer.periods)
  }

  /**
   * Brings the timeline up to date after new events: periods whose count changed, or that a new
   * event falls in, are fetched again if they were drawn; new periods appear in place.
   */
  async refresh({ consistentWith, freshEvents }) {
    const generation = this.generation
    const answer = await getJson('/v1/timeline/periods', { ...this.filterParams(), consistentWith })
    if (generation !== this.generation) return
    const touched = new Set(freshEvents.map((event) => this.periodOf(event)))
    for (const event of freshEvents) this.fresh.add(event.id)
    const next = new Map()
    for (const period of answer.periods) {
      const section = this.sections.get(period.period)
      if (!section) {
        next.set(period.period, this.sectionOf(period))
        continue
      }
      if (section.count !== period.count || touched.has(period.period)) {
        section.count = period.count
        section.heading.replaceChildren(...this.headingOf(period))
        if (section.loaded > 0) await this.redraw(section)
        else this.sizeSpacer(section)
      }
      next.set(period.period, section)
    }
    if (generation !== this.generation) return
    for (const [period, section] of this.sections) {
      if (!next.has(period)) section.element.remove()
    }
    // New sections go before the next section that exists already: drawn ones are not moved.
    let following = null
    for (const section of [...next.values()].reverse()) {
      if (!section.element.isConnected) {
        this.root.insertBefore(section.element, following)
        this.observer.observe(section.element)
      }
      following = section.element
    }
    this.root.querySelector('.empty-note')?.remove()
    this.sections = next
    this.describe(answer.periods)
    this.markAfter(this.asOf)
  }

  /** Dims the events that take effect after the as-of instant. */
  markAfter(asOf) {
    this.asOf = asOf
    const limit = asOf ? Date.parse(asOf) : Number.POSITIVE_INFINITY
    for (const entry of this.root.querySelectorAll('.entry')) {
      entry.classList.toggle('after-as-of', Date.parse(entry.dataset.effectiveFrom) > limit)
    }
  }

  scrollTo(period) {
    const section = this.sections.get(period)
    if (!section) return
    section.element.scrollIntoView({ block: 'start' })
    section.heading.focus({ preventScroll: true })
  }

  /**
   * Opens the timeline at a period: scrolled to it, its first page drawn, and scrolled to again,
   * since the periods before it are drawn too as they come near, and are seldom the height guessed.
   */
  async openAt(period) {
    const section = this.sections.get(period)
    if (!section) return
    this.scrollTo(period)
    await this.loadMore(section)
    await Promise.all([...this.sections.values()].map((s) => s.loading))
    this.scrollTo(period)
  }

  /** The period whose section holds the as-of date, or the last one before it. */
  periodAtOrBefore(instant) {
    let found
    for (const section of this.sections.values()) {
      if (Date.parse(section.from) <= Date.parse(instant)) found = section.period
    }
    return found
  }

  lastPeriod() {
    return [...this.sections.keys()].at(-1)
  }

  /** Scrolls to one event and focuses it, fetching its period as far as needed. False if filtered out. */
  async reveal(eventId) {
    const event = await getJson(`/v1/events/${encodeURIComponent(eventId)}`)
    const section = this.sections.get(this.periodOf(event))
    if (!section) return false
    section.element.scrollIntoView({ block: 'start' })
    const find = () => document.getElementById(`event-${eventId}`)
    while (!find() && section.next !== null) await this.loadMore(section)
    const entry = find()
    if (!entry) return false
    entry.scrollIntoView({ block: 'center' })
    entry.focus({ preventScroll: true })
    entry.classList.remove('revealed')
    void entry.offsetWidth
    entry.classList.add('revealed')
    return true
  }

  periodOf(event) {
    return event.precision === 'year'
      ? event.occurredAt.slice(0, 4)
      : monthOf(event.effectiveFrom, this.timeZone)
  }

  filterParams() {
    const { type, subject, kind, knownAt } = this.filters
    return { type, subject, kind, knownAt }
  }

  sectionOf(period) {
    const id = `period-${period.period}`
    const heading = h('h3', { id, class: 'period-heading', tabindex: '-1' }, ...this.headingOf(period))
    const list = h('ol', { class: 'entries' })
    const spacer = h('div', { class: 'spacer', 'aria-hidden': 'true' })
    const element = h(
      'section',
      { class: `period period-${period.precision}`, 'data-period': period.period, 'aria-labelledby': id },
      heading,
      list,
      spacer,
    )
    const section = { ...period, element, heading, list, spacer, loaded: 0, next: undefined, loading: null }
    // A section is watched until its first page is drawn, then its placeholder for the pages after it.
    element.section = section
    spacer.section = section
    this.sizeSpacer(section)
    return section
  }

  headingOf(period) {
    const count = h('span', { class: 'count' }, `${period.count} ${period.count === 1 ? 'event' : 'events'}`)
    if (period.precision === 'year') {
      return [period.period, ' ', h('span', { class: 'qualifier' }, 'dated only to the year'), ' ', count]
    }
    return [formatMarketDate(period.period), ' ', count]
  }

  sizeSpacer(section) {
    const remaining = Math.max(section.count - section.loaded, 0)
    section.spacer.style.height = `${section.next === null ? 0 : remaining * estimatedEntryHeight}px`
    section.spacer.hidden = section.next === null
  }

  onVisible(entries) {
    for (const entry of entries) {
      if (entry.isIntersecting) void this.loadMore(entry.target.section).catch((error) => this.fail(error))
    }
  }

  /** Fetches and draws the next page of a period; keeps going while its placeholder is still in view. */
  loadMore(section) {
    if (section.loading) return section.loading
    if (section.next === null) return Promise.resolve()
    const generation = this.generation
    section.loading = (async () => {
      const page = await this.fetchPage(section, section.next)
      await this.named
      if (generation !== this.generation) return
      section.list.append(...page.events.map((event) => this.entryOf(event)))
      section.loaded += page.events.length
      section.next = page.next
      this.sizeSpacer(section)
      this.observer.unobserve(section.element)
      if (section.next === null) this.observer.unobserve(section.spacer)
      else this.observer.observe(section.spacer)
      this.markAfter(this.asOf)
    })().finally(() => {
      section.loading = null
    })
    return section.loading.then(() => {
      if (section.next !== null && nearViewport(section.spacer)) return this.loadMore(section)
    })
  }

  /** Draws a period again with as many events as it showed, in one swap (no flash, no jump). */
  async redraw(section) {
    await section.loading
    const events = []
    let next
    do {
      const page = await this.fetchPage(section, next)
      events.push(...page.events)
      next = page.next
    } while (next !== null && events.length < section.loaded)
    section.list.replaceChildren(...events.map((event) => this.entryOf(event)))
    section.loaded = events.length
    section.next = next
    this.sizeSpacer(section)
    if (next !== null) this.observer.observe(section.spacer)
  }

  fetchPage(section, next) {
    return getJson('/v1/timeline', {
      ...this.filterParams(),
      from: section.period,
      to: section.period,
      precision: section.precision === 'year' ? 'year' : 'month,day,instant',
      limit: pageSize,
      next,
    })
  }

  entryOf(event) {
    const fresh = this.fresh.has(event.eventId)
    const names = this.directory().nameNodes(event.subject)
    // A planned or announced fact is a plan: marked as one, never drawn as if in effect.
    const status = event.status ?? null
    return h(
      'li',
      {
        class: `entry${fresh ? ' fresh' : ''}${status ? ' plan' : ''}`,
        id: `event-${event.eventId}`,
        tabindex: '-1',
        'data-type': event.type,
        'data-effective-from': event.effectiveFrom,
        ...(status ? { 'data-status': status } : {}),
      },
      h(
        'p',
        { class: 'entry-meta' },
        h(
          'time',
          { datetime: event.occurredAt, title: precisionWords(event.precision) },
          formatMarketDate(event.occurredAt),
        ),
        ' ',
        h('span', { class: `type type-${event.type.split('.')[0]}` }, event.type),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'subject',
            'data-subject': event.subject,
            'data-history': event.subject,
            'aria-label': `History of ${this.directory().name(event.subject)}`,
          },
          names,
        ),
        status ? [' ', h('span', { class: 'status-badge' }, status)] : null,
        fresh ? [' ', h('span', { class: 'fresh-badge' }, 'new')] : null,
      ),
      h('p', { class: 'summary' }, event.summary),
      event.source ? sourceOf(event.source) : null,
      h(
        'p',
        { class: 'entry-actions' },
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => this.onAsOf(event.occurredAt) },
          `The market as of ${formatMarketDate(event.occurredAt)}`,
        ),
        h(
          'span',
          { class: 'recorded' },
          `#${event.position}, recorded ${formatInstant(event.recordedAt, 'UTC')} UTC`,
        ),
      ),
    )
  }

  describe(periods) {
    const total = periods.reduce((sum, period) => sum + period.count, 0)
    this.status.textContent = `${total} ${total === 1 ? 'event' : 'events'} in ${periods.length} ${
      periods.length === 1 ? 'period' : 'periods'
    }`
    replaceChildren(
      this.jump,
      h('option', { value: '' }, 'Go to a period…'),
      periods.map((period) =>
        h(
          'option',
          { value: period.period },
          `${period.precision === 'year' ? `${period.period} (year only)` : formatMarketDate(period.period)} — ${period.count}`,
        ),
      ),
    )
  }

  emptyNote() {
    return h('p', { class: 'empty-note' }, 'No events match these filters.')
  }

  fail(error) {
    this.status.textContent = `The timeline could not be loaded: ${error.message}`
  }
}

/** An event's source: quote, publisher, title, author, date, link and how it was read. */
export function sourceOf(source) {
  // Only an http(s) address is a link: an event recorded before the API refused other schemes may hold one.
  const link = webAddress(source.url)
  const caption = [
    source.publisher,
    source.title ? `《${source.title}》` : null,
    source.author,
    source.publishedAt ? formatMarketDate(source.publishedAt) : null,
  ]
    .filter(Boolean)
    .map((part) => h('span', { lang: langOf(part) }, part))
  return h(
    'figure',
    { class: 'source' },
    source.quote ? h('blockquote', { lang: langOf(source.quote) }, source.quote) : null,
    h(
      'figcaption',
      {},
      caption.flatMap((part, i) => (i ? [' · ', part] : [part])),
      link
        ? [' · ', h('a', { href: link, rel: 'noopener noreferrer external', target: '_blank' }, 'source')]
        : null,
    ),
    source.note
      ? h('details', { class: 'note' }, h('summary', {}, 'How this was read'), h('p', {}, source.note))
      : null,
  )
}

function nearViewport(element) {
  const box = element.getBoundingClientRect()
  return box.height > 0 && box.top < window.innerHeight + 1200 && box.bottom > -1200
}
