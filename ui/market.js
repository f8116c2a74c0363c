import { getAllPages, getJson } from './api.js'
import { h, langOf, replaceChildren } from './dom.js'
import { formatInstant, formatMarketDate, formatMoney, groupDigits, isFree, sumDecimals } from './format.js'

/**
 * The market at one point in time, from the read models: the price list, alliance membership and
 * company cards, each asked with the same `asOf` and `knownAt`. A newer request cancels an older
 * one, and the panels are drawn together when their answers are in. A company card shows its
 * funding at once (from the funding rounds) and asks for the rest of its profile (products, latest
 * valuation) only when it comes near the screen: a card no one looks at costs no request.
 */
export class Market {
  constructor({ prices, alliances, companies, directory, timeZone }) {
    this.panels = { prices, alliances, companies }
    this.directory = directory
    this.timeZone = timeZone
    this.cards = new Map()
    this.cardWatcher = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          entry.target.near = entry.isIntersecting
          if (entry.isIntersecting) void this.fillCard(entry.target)
        }
      },
      { rootMargin: '600px 0px' },
    )
  }

  async render({ asOf, knownAt, consistentWith }) {
    this.abort?.abort()
    const abort = new AbortController()
    this.abort = abort
    const options = { signal: abort.signal }
    const point = { asOf, knownAt, consistentWith }
    for (const panel of Object.values(this.panels)) panel.setAttribute('aria-busy', 'true')
    try {
      const [prices, alliances, funding] = await Promise.all([
        getJson('/v1/prices', point, options),
        getJson('/v1/alliances', point, options),
        getAllPages('/v1/funding', 'rounds', point, options),
      ])
      if (abort.signal.aborted) return undefined
      this.point = point
      this.drawPrices(prices.prices)
      this.drawAlliances(alliances.alliances)
      this.drawCompanies(funding.rounds)
      return { asOf: prices.asOf, knownAt: prices.knownAt }
    } finally {
      if (this.abort === abort) {
        for (const panel of Object.values(this.panels)) panel.removeAttribute('aria-busy')
      }
    }
  }

  /** Companies that own a product, or had raised a round by then: the ones a card has something to say about. */
  companiesToShow(rounds) {
    const directory = this.directory()
    const owners = directory.entities.filter((e) => e.kind === 'product' && e.owner).map((e) => e.owner)
    const companies = [...new Set([...owners, ...rounds.map((round) => round.company)])]
    return companies.sort((a, b) => directory.name(a).localeCompare(directory.name(b), 'en'))
  }

  drawPrices(prices) {
    const directory = this.directory()
    const rows = [...prices].sort(
      (a, b) =>
        directory.name(a.company ?? '').localeCompare(directory.name(b.company ?? ''), 'en') ||
        a.productName.localeCompare(b.productName, 'en') ||
        a.component.localeCompare(b.component),
    )
    if (rows.length === 0) {
      replaceChildren(this.panels.prices, h('p', { class: 'empty-note' }, 'No price is known at this date.'))
      return
    }
    replaceChildren(
      this.panels.prices,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'prices' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Product'),
              h('th', { scope: 'col' }, 'Component'),
              h('th', { scope: 'col' }, 'Price'),
              h('th', { scope: 'col' }, 'Since'),
            ),
          ),
          h(
            'tbody',
            {},
            rows.map((row) =>
              h(
                'tr',
                { 'data-product': row.product, 'data-component': row.component },
                h(
                  'th',
                  { scope: 'row' },
                  directory.historyButton(row.product),
                  row.company
                    ? h(
                        'span',
                        { class: 'owner' },
                        h(
                          'button',
                          { type: 'button', class: 'history-link', 'data-history': row.company },
                          directory.name(row.company),
                        ),
                      )
                    : null,
                ),
                h('td', {}, row.component),
                h(
                  'td',
                  { class: 'price' },
                  isFree(row.amount)
                    ? h('data', { class: 'amount free', value: row.amount }, 'free')
                    : [
                        h('data', { class: 'amount', value: row.amount }, groupDigits(row.amount)),
                        ' ',
                        h('span', { class: 'unit' }, `${row.currency} / ${row.unit}`),
                      ],
                ),
                h(
                  'td',
                  {},
                  h(
                    'a',
                    {
                      href: `#event=${row.eventId}`,
                      title: row.effectiveFrom
                        ? 'The event that set this price'
                        : 'The event that tells this price',
                    },
                    row.effectiveFrom
                      ? formatInstant(row.effectiveFrom, this.timeZone())
                      : 'an earlier, unknown date',
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    )
  }

  drawAlliances(alliances) {
    const directory = this.directory()
    if (alliances.length === 0) {
      replaceChildren(
        this.panels.alliances,
        h('p', { class: 'empty-note' }, 'No alliance exists at this date.'),
      )
      return
    }
    replaceChildren(
      this.panels.alliances,
      alliances.map((alliance) =>
        h(
          'article',
          { class: 'card alliance', 'data-alliance': alliance.alliance },
          h(
            'h4',
            {},
            alliance.name,
            alliance.localName
              ? [
                  ' ',
                  h('span', { class: 'local-name', lang: langOf(alliance.localName) }, alliance.localName),
                ]
              : null,
          ),
          h(
            'p',
            { class: 'card-meta' },
            'Convened by ',
            alliance.conveners.flatMap((slug, i) => [i ? ', ' : '', directory.historyButton(slug)]),
            ' · formed ',
            h('a', { href: `#event=${alliance.eventId}` }, formatInstant(alliance.formedAt, this.timeZone())),
          ),
          h(
            'ul',
            { class: 'members', 'aria-label': `${alliance.members.length} members` },
            alliance.members.map((member) =>
              h(
                'li',
                { 'data-member': member.member },
                directory.get(member.member) ? directory.historyButton(member.member) : member.name,
                ' ',
                h('span', { class: 'since' }, `since ${formatInstant(member.since, this.timeZone())}`),
              ),
            ),
          ),
        ),
      ),
    )
  }

  /** One card per company, kept across dates; its funding now, its profile when it is near the screen. */
  drawCompanies(rounds) {
    const companies = this.companiesToShow(rounds)
    if (companies.length === 0) {
      replaceChildren(
        this.panels.companies,
        h('p', { class: 'empty-note' }, 'No company is known at this date.'),
      )
      return
    }
    const cards = new Map()
    for (const company of companies) {
      const card = this.cards.get(company) ?? this.cardOf(company)
      card
        .querySelector('.funding-total')
        .replaceChildren(...[fundingTotal(rounds.filter((round) => round.company === company))].flat())
      cards.set(company, card)
    }
    for (const [company, card] of this.cards) {
      if (!cards.has(company)) this.cardWatcher.unobserve(card)
    }
    this.cards = cards
    replaceChildren(this.panels.companies, [...cards.values()])
    for (const card of cards.values()) if (card.near) void this.fillCard(card)
  }

  cardOf(company) {
    const directory = this.directory()
    const card = h(
      'article',
      { class: 'card company', 'data-company': company },
      h('h4', {}, directory.historyButton(company)),
      h(
        'dl',
        {},
        h('dt', {}, 'Funding'),
        h('dd', { class: 'funding-total' }),
        h('dt', {}, 'Latest valuation'),
        h('dd', { class: 'valuation' }, '…'),
        h('dt', {}, 'Products'),
        h('dd', { class: 'products' }, '…'),
      ),
    )
    this.cardWatcher.observe(card)
    return card
  }

  /** Asks for a card's profile at the current point in time, unless it already shows it. */
  async fillCard(card) {
    const point = this.point
    if (!point || card.shows === point) return
    card.shows = point
    card.setAttribute('aria-busy', 'true')
    try {
      const profile = await getJson(`/v1/companies/${encodeURIComponent(card.dataset.company)}`, point).catch(
        (error) => {
          if (error.status === 404) return null
          throw error
        },
      )
      if (card.shows !== point) return
      card.querySelector('.valuation').replaceChildren(...[this.valuationOf(profile)].flat())
      card.querySelector('.products').replaceChildren(...[productsOf(profile)].flat())
      card.removeAttribute('aria-busy')
    } catch (error) {
      card.shows = undefined
      card.querySelector('.products').textContent = `not available (${error.message})`
    }
  }

  valuationOf(profile) {
    const valuation = profile?.latestValuation
    if (!valuation) return 'not known'
    return [
      formatMoney(valuation),
      ' ',
      h(
        'a',
        { href: `#event=${valuation.eventId}` },
        `(${valuation.round}, ${formatInstant(valuation.effectiveFrom, this.timeZone())})`,
      ),
    ]
  }
}

function productsOf(profile) {
  if (!profile?.products.length) return 'none yet'
  return h(
    'ul',
    {},
    profile.products.map((product) =>
      h(
        'li',
        { 'data-product': product.product },
        h(
          'button',
          { type: 'button', class: 'history-link', 'data-history': product.product },
          h('span', { class: 'name' }, product.name),
        ),
        product.localName
          ? [' ', h('span', { class: 'local-name', lang: langOf(product.localName) }, product.localName)]
          : null,
        product.category ? h('span', { class: 'category' }, product.category) : null,
      ),
    ),
  )
}

/** "USD 300,000,000 in 1 round", per currency, rounds without a disclosed amount counted apart. */
function fundingTotal(rounds) {
  if (rounds.length === 0) return 'no round'
  const byCurrency = new Map()
  for (const round of rounds) {
    if (!round.amount) continue
    byCurrency.set(round.amount.currency, [
      ...(byCurrency.get(round.amount.currency) ?? []),
      round.amount.value,
    ])
  }
  const parts = [...byCurrency].map(
    ([currency, values]) =>
      `${currency} ${groupDigits(sumDecimals(values))} in ${values.length} ${values.length === 1 ? 'round' : 'rounds'}`,
  )
  const undisclosed = rounds.filter((round) => !round.amount).length
  if (undisclosed)
    parts.push(`${undisclosed} ${undisclosed === 1 ? 'round' : 'rounds'} of undisclosed amount`)
  const last = rounds.at(-1)
  return [
    parts.join('; '),
    ' ',
    h('span', { class: 'since' }, `(last: ${last.round}, ${formatMarketDate(last.occurredAt)})`),
  ]
}
