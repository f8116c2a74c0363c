import { getJson } from './api.js'
import { h, langOf } from './dom.js'

/** Who is who (GET /v1/entities): names in English and as written locally, and a search over both. */
export class Directory {
  constructor(entities = []) {
    this.entities = entities
    this.bySlug = new Map(entities.map((entity) => [entity.slug, entity]))
  }

  static async load(params, options) {
    const { entities } = await getJson('/v1/entities', params, options)
    return new Directory(entities)
  }

  get(slug) {
    return this.bySlug.get(slug)
  }

  name(slug) {
    return this.bySlug.get(slug)?.name ?? slug
  }

  /** The products a company owns. */
  productsOf(company) {
    return this.entities.filter((entity) => entity.owner === company)
  }

  /** Entities whose English name, local name or slug contains `query`; prefix matches first. */
  search(query, limit = 12) {
    const q = query.trim().toLowerCase()
    if (!q) return []
    const scored = []
    for (const entity of this.entities) {
      const fields = [entity.name.toLowerCase(), (entity.localName ?? '').toLowerCase(), entity.slug]
      const at = Math.min(
        ...fields.map((field) => (field.includes(q) ? field.indexOf(q) : Number.POSITIVE_INFINITY)),
      )
      if (at !== Number.POSITIVE_INFINITY) scored.push({ entity, rank: at === 0 ? 0 : 1 })
    }
    scored.sort((a, b) => a.rank - b.rank || a.entity.name.localeCompare(b.entity.name, 'en'))
    return scored.slice(0, limit).map((s) => s.entity)
  }

  /** The names as a button that opens the entity's history (see history-panel.js). */
  historyButton(slug) {
    return h(
      'button',
      { type: 'button', class: 'history-link', 'data-history': slug, title: `History of ${this.name(slug)}` },
      this.nameNodes(slug),
    )
  }

  /** "Alibaba Cloud 阿里云": the stored names, the local one marked with its language. */
  nameNodes(slug) {
    const entity = this.bySlug.get(slug)
    if (!entity) return [h('span', { class: 'name' }, slug)]
    return [
      h('span', { class: 'name' }, entity.name),
      entity.localName
        ? [' ', h('span', { class: 'local-name', lang: langOf(entity.localName) }, entity.localName)]
        : null,
    ]
  }
}
