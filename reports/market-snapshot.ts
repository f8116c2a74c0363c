import { type Static, Type } from 'typebox'
import { catalogue } from '../events/index.js'
import { AllianceSchema } from '../src/api/read-model-schemas.js'
import { fromUnits, toUnits } from '../src/reports/decimal.js'
import {
  byEffectiveTime,
  bySlug,
  defineReport,
  isoOf,
  type LogEntry,
  type ReportTable,
} from '../src/reports/report.js'
import { type EntityNames, entityNameOf, evolveNames, nameOf } from './entity-names.js'
import type { EntryOf, MarketEntry } from './market-entry.js'

/**
 * The whole market as of a date, as known at a date: every product with its prices, every
 * alliance with its members, every company with its funding totals and latest valuation, and
 * the metrics in effect. Each part answers as its read model does (price-list,
 * alliance-membership, company-profile), and a property test holds them to it.
 */

const Instant = Type.String({ format: 'date-time' })
const NullableString = Type.Union([Type.String(), Type.Null()])

const SnapshotProduct = Type.Object({
  product: Type.String(),
  name: Type.String(),
  localName: NullableString,
  company: NullableString,
  category: NullableString,
  prices: Type.Array(
    Type.Object({
      component: Type.String(),
      amount: Type.String(),
      currency: Type.String(),
      unit: Type.String(),
      effectiveFrom: Type.Union([Instant, Type.Null()], {
        description: "null: in effect since a date the sources do not give (a later change's previousAmount)",
      }),
      eventId: Type.String({ format: 'uuid' }),
    }),
  ),
})

const SnapshotCompany = Type.Object({
  company: Type.String(),
  name: Type.String(),
  localName: NullableString,
  fundingRounds: Type.Integer({ description: 'Rounds in effect at asOf' }),
  fundingTotals: Type.Array(Type.Object({ currency: Type.String(), amount: Type.String() }), {
    description: 'Sum of the disclosed round amounts, per currency',
  }),
  latestValuation: Type.Union([
    Type.Object({
      value: Type.String(),
      currency: Type.String(),
      qualifier: Type.String(),
      round: Type.String(),
      effectiveFrom: Instant,
      eventId: Type.String({ format: 'uuid' }),
    }),
    Type.Null(),
  ]),
})

const SnapshotMetric = Type.Object({
  entity: Type.String(),
  entityName: Type.String(),
  metric: Type.String(),
  value: Type.String(),
  unit: NullableString,
  qualifier: NullableString,
  forPeriod: NullableString,
  reportedBy: NullableString,
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid' }),
})

export const MarketSnapshotSchema = Type.Object({
  products: Type.Array(SnapshotProduct),
  // Each alliance is what GET /v1/alliances answers for it: one schema for both.
  alliances: Type.Array(AllianceSchema),
  companies: Type.Array(SnapshotCompany),
  metrics: Type.Array(SnapshotMetric, {
    description: 'The latest figure per entity, metric and period (forPeriod) in effect at asOf',
  }),
})

export type MarketSnapshot = Static<typeof MarketSnapshotSchema>

interface Point {
  readonly effectiveAt: number
  readonly position: number
  readonly id: string
}

interface PricePoint extends Point {
  readonly amount: string
  readonly previousAmount: string | null
  readonly currency: string
  readonly unit: string
}

/** The latest change in effect at asOf, and the first one after it (whose previousAmount may say more). */
interface PriceSlots {
  current: PricePoint | null
  next: PricePoint | null
}

interface Formation extends Point {
  readonly name: string
  readonly localName: string | null
  readonly conveners: readonly string[]
}

/** A member's changes in effect at asOf: its latest departure, and the joins after it, in valid-time order. */
interface Spell {
  lastLeave: Point | null
  joins: Point[]
}

interface AllianceState {
  formation: Formation | null
  readonly members: Map<string, Spell>
}

interface Valuation extends Point {
  readonly value: string
  readonly currency: string
  readonly qualifier: string
  readonly round: string
}

interface CompanyFunding {
  rounds: number
  readonly totals: Map<string, bigint>
  valuation: Valuation | null
}

interface MetricPoint extends Point {
  readonly entity: string
  readonly metric: string
  readonly value: string
  readonly unit: string | null
  readonly qualifier: string | null
  readonly forPeriod: string | null
  readonly reportedBy: string | null
}

export interface SnapshotState {
  readonly asOf: number
  readonly names: EntityNames
  /** Slugs named as products by a fact in effect at asOf. */
  readonly productsInEffect: Set<string>
  /** product → component → slots. */
  readonly prices: Map<string, Map<string, PriceSlots>>
  readonly alliances: Map<string, AllianceState>
  readonly funding: Map<string, CompanyFunding>
  /** entity, metric and period → the latest figure. */
  readonly metrics: Map<string, MetricPoint>
}

export function initialSnapshot(asOf: number): SnapshotState {
  return {
    asOf,
    names: new Map(),
    productsInEffect: new Set(),
    prices: new Map(),
    alliances: new Map(),
    funding: new Map(),
    metrics: new Map(),
  }
}

export function evolveSnapshot(state: SnapshotState, event: MarketEntry): SnapshotState {
  const inEffect = event.effectiveAt <= state.asOf
  switch (event.type) {
    case 'entity.registered':
    case 'product.launched':
    case 'alliance.formed':
      evolveNames(state.names, event)
      if (inEffect && entityNameOf(event)?.kind === 'product') state.productsInEffect.add(event.subject)
      if (inEffect && event.type === 'alliance.formed') form(state, event)
      break
    case 'price.changed':
      changePrice(state, event, inEffect)
      break
    case 'alliance.member_joined':
      if (inEffect) join(spellOf(state, event.subject, event.data.member), event)
      break
    case 'alliance.member_left':
      if (inEffect) leave(spellOf(state, event.subject, event.data.member), event)
      break
    case 'funding.round_closed':
      if (inEffect) closeRound(state, event)
      break
    case 'metric.reported':
      if (inEffect) reportMetric(state, event)
      break
  }
  return state
}

/** Events come in position order, so on a tie in valid time the later one wins by arriving later. */
function changePrice(state: SnapshotState, event: EntryOf<'price.changed'>, inEffect: boolean): void {
  const d = event.data
  let components = state.prices.get(event.subject)
  if (!components) {
    components = new Map()
    state.prices.set(event.subject, components)
  }
  let slots = components.get(d.component)
  if (!slots) {
    slots = { current: null, next: null }
    components.set(d.component, slots)
  }
  const point: PricePoint = {
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    amount: d.amount,
    previousAmount: d.previousAmount ?? null,
    currency: d.currency,
    unit: d.unit,
  }
  if (inEffect) {
    if (!slots.current || event.effectiveAt >= slots.current.effectiveAt) slots.current = point
  } else if (!slots.next || event.effectiveAt < slots.next.effectiveAt) {
    slots.next = point
  }
}

function allianceOf(state: SnapshotState, alliance: string): AllianceState {
  let found = state.alliances.get(alliance)
  if (!found) {
    found = { formation: null, members: new Map() }
    state.alliances.set(alliance, found)
  }
  return found
}

function spellOf(state: SnapshotState, alliance: string, member: string): Spell {
  const { members } = allianceOf(state, alliance)
  let spell = members.get(member)
  if (!spell) {
    spell = { lastLeave: null, joins: [] }
    members.set(member, spell)
  }
  return spell
}

/** A formation is the alliance's latest in effect, and its founding members join at its time. */
function form(state: SnapshotState, event: EntryOf<'alliance.formed'>): void {
  const d = event.data
  const alliance = allianceOf(state, event.subject)
  if (!alliance.formation || event.effectiveAt >= alliance.formation.effectiveAt) {
    alliance.formation = {
      effectiveAt: event.effectiveAt,
      position: event.position,
      id: event.id,
      name: d.name,
      localName: d.localName ?? null,
      conveners: d.conveners,
    }
  }
  for (const member of d.members) join(spellOf(state, event.subject, member), event)
}

/** A join counts when no departure follows it; the earliest such join starts the current spell. */
function join(spell: Spell, event: LogEntry): void {
  if (spell.lastLeave && byEffectiveTime(event, spell.lastLeave) < 0) return
  const at = { effectiveAt: event.effectiveAt, position: event.position, id: event.id }
  let i = spell.joins.length
  while (i > 0 && byEffectiveTime(spell.joins[i - 1] as Point, at) > 0) i--
  spell.joins.splice(i, 0, at)
}

function leave(spell: Spell, event: LogEntry): void {
  if (spell.lastLeave && byEffectiveTime(event, spell.lastLeave) < 0) return
  spell.lastLeave = { effectiveAt: event.effectiveAt, position: event.position, id: event.id }
  const after = spell.joins.findIndex((j) => byEffectiveTime(j, event) > 0)
  spell.joins = after < 0 ? [] : spell.joins.slice(after)
}

function closeRound(state: SnapshotState, event: EntryOf<'funding.round_closed'>): void {
  const d = event.data
  let funding = state.funding.get(event.subject)
  if (!funding) {
    funding = { rounds: 0, totals: new Map(), valuation: null }
    state.funding.set(event.subject, funding)
  }
  funding.rounds++
  if (d.amount) {
    const { currency, value } = d.amount
    funding.totals.set(currency, (funding.totals.get(currency) ?? 0n) + toUnits(value))
  }
  if (d.valuation && (!funding.valuation || event.effectiveAt >= funding.valuation.effectiveAt)) {
    funding.valuation = {
      effectiveAt: event.effectiveAt,
      position: event.position,
      id: event.id,
      ...d.valuation,
      round: d.round,
    }
  }
}

function reportMetric(state: SnapshotState, event: EntryOf<'metric.reported'>): void {
  const d = event.data
  const key = `${event.subject}\u0000${d.metric}\u0000${d.forPeriod ?? ''}`
  const current = state.metrics.get(key)
  if (current && event.effectiveAt < current.effectiveAt) return
  state.metrics.set(key, {
    effectiveAt: event.effectiveAt,
    position: event.position,
    id: event.id,
    entity: event.subject,
    metric: d.metric,
    value: d.value,
    unit: d.unit ?? null,
    qualifier: d.qualifier ?? null,
    forPeriod: d.forPeriod ?? null,
    reportedBy: d.reportedBy ?? null,
  })
}

export function snapshotOf(state: SnapshotState): MarketSnapshot {
  return {
    products: productsOf(state),
    alliances: alliancesOf(state),
    companies: companiesOf(state),
    metrics: metricsOf(state),
  }
}

type SnapshotPrice = MarketSnapshot['products'][number]['prices'][number]

/** As the price-list read model: a later change's previousAmount overrides a different (or no) current price. */
function priceInEffect(component: string, { current, next }: PriceSlots): SnapshotPrice | undefined {
  if (next?.previousAmount != null && (!current || current.amount !== next.previousAmount)) {
    const { currency, unit, id } = next
    return { component, amount: next.previousAmount, currency, unit, effectiveFrom: null, eventId: id }
  }
  if (!current) return undefined
  const { amount, currency, unit, id } = current
  return { component, amount, currency, unit, effectiveFrom: isoOf(current.effectiveAt), eventId: id }
}

function productsOf(state: SnapshotState): MarketSnapshot['products'] {
  const pricesOf = (product: string): SnapshotPrice[] =>
    [...(state.prices.get(product) ?? [])]
      .sort(([a], [b]) => bySlug(a, b))
      .flatMap(([component, slots]) => priceInEffect(component, slots) ?? [])
  const named = [...state.productsInEffect].filter((slug) => state.names.get(slug)?.kind === 'product')
  const priced = [...state.prices.keys()].filter((slug) => pricesOf(slug).length > 0)
  return [...new Set([...named, ...priced])].sort(bySlug).map((product) => {
    const entity = state.names.get(product)
    return {
      product,
      name: nameOf(state.names, product),
      localName: entity?.localName ?? null,
      company: entity?.owner ?? null,
      category: entity?.category ?? null,
      prices: pricesOf(product),
    }
  })
}

function alliancesOf(state: SnapshotState): MarketSnapshot['alliances'] {
  return [...state.alliances]
    .filter(([, a]) => a.formation !== null)
    .sort(([a], [b]) => bySlug(a, b))
    .map(([alliance, { formation, members }]) => {
      const f = formation as Formation
      return {
        alliance,
        name: f.name,
        localName: f.localName,
        conveners: [...f.conveners],
        members: [...members]
          .filter(([, spell]) => spell.joins.length > 0)
          .sort(([a], [b]) => bySlug(a, b))
          .map(([member, spell]) => ({
            member,
            name: nameOf(state.names, member),
            since: isoOf((spell.joins[0] as Point).effectiveAt),
          })),
        formedAt: isoOf(f.effectiveAt),
        eventId: f.id,
      }
    })
}

function companiesOf(state: SnapshotState): MarketSnapshot['companies'] {
  const registered = [...state.names].filter(([, e]) => e.kind === 'company').map(([slug]) => slug)
  return [...new Set([...registered, ...state.funding.keys()])].sort(bySlug).map((company) => {
    const funding = state.funding.get(company)
    const valuation = funding?.valuation
    return {
      company,
      name: nameOf(state.names, company),
      localName: state.names.get(company)?.localName ?? null,
      fundingRounds: funding?.rounds ?? 0,
      fundingTotals: [...(funding?.totals ?? [])]
        .sort(([a], [b]) => bySlug(a, b))
        .map(([currency, units]) => ({ currency, amount: fromUnits(units) })),
      latestValuation: valuation
        ? {
            value: valuation.value,
            currency: valuation.currency,
            qualifier: valuation.qualifier,
            round: valuation.round,
            effectiveFrom: isoOf(valuation.effectiveAt),
            eventId: valuation.id,
          }
        : null,
    }
  })
}

function metricsOf(state: SnapshotState): MarketSnapshot['metrics'] {
  return [...state.metrics]
    .sort(([a], [b]) => bySlug(a, b))
    .map(([, m]) => ({
      entity: m.entity,
      entityName: nameOf(state.names, m.entity),
      metric: m.metric,
      value: m.value,
      unit: m.unit,
      qualifier: m.qualifier,
      forPeriod: m.forPeriod,
      reportedBy: m.reportedBy,
      effectiveFrom: isoOf(m.effectiveAt),
      eventId: m.id,
    }))
}

function snapshotTables(s: MarketSnapshot): ReportTable[] {
  return [
    {
      name: 'prices',
      title: 'Products and prices',
      columns: [
        { key: 'product', title: 'Product' },
        { key: 'productName', title: 'Name' },
        { key: 'company', title: 'Company' },
        { key: 'component', title: 'Component' },
        { key: 'amount', title: 'Amount', align: 'right' },
        { key: 'currency', title: 'Currency' },
        { key: 'unit', title: 'Unit' },
        { key: 'effectiveFrom', title: 'In effect since' },
        { key: 'eventId', title: 'Event' },
      ],
      rows: s.products.flatMap((p) => {
        const product = { product: p.product, productName: p.name, company: p.company }
        if (p.prices.length === 0) return [product]
        return p.prices.map((price) => ({ ...product, ...price }))
      }),
    },
    {
      name: 'alliance-members',
      title: 'Alliances and members',
      columns: [
        { key: 'alliance', title: 'Alliance' },
        { key: 'allianceName', title: 'Name' },
        { key: 'conveners', title: 'Conveners' },
        { key: 'formedAt', title: 'Formed' },
        { key: 'member', title: 'Member' },
        { key: 'memberName', title: 'Member name' },
        { key: 'since', title: 'Member since' },
      ],
      rows: s.alliances.flatMap((a) => {
        const alliance = {
          alliance: a.alliance,
          allianceName: a.name,
          conveners: a.conveners.join('; '),
          formedAt: a.formedAt,
        }
        if (a.members.length === 0) return [alliance]
        return a.members.map((m) => ({ ...alliance, member: m.member, memberName: m.name, since: m.since }))
      }),
    },
    {
      name: 'companies',
      title: 'Companies: funding and valuation',
      columns: [
        { key: 'company', title: 'Company' },
        { key: 'name', title: 'Name' },
        { key: 'fundingRounds', title: 'Rounds', align: 'right' },
        { key: 'fundingTotal', title: 'Raised', align: 'right' },
        { key: 'fundingCurrency', title: 'Currency' },
        { key: 'valuation', title: 'Latest valuation', align: 'right' },
        { key: 'valuationCurrency', title: 'Valuation currency' },
        { key: 'valuationQualifier', title: 'Qualifier' },
        { key: 'valuationRound', title: 'Valuation round' },
      ],
      rows: s.companies.flatMap((c) => {
        const v = c.latestValuation
        const company = {
          company: c.company,
          name: c.name,
          fundingRounds: c.fundingRounds,
          valuation: v?.value ?? null,
          valuationCurrency: v?.currency ?? null,
          valuationQualifier: v?.qualifier ?? null,
          valuationRound: v?.round ?? null,
        }
        if (c.fundingTotals.length === 0) return [company]
        return c.fundingTotals.map((t) => ({
          ...company,
          fundingTotal: t.amount,
          fundingCurrency: t.currency,
        }))
      }),
    },
    {
      name: 'metrics',
      title: 'Metrics',
      columns: [
        { key: 'entity', title: 'Entity' },
        { key: 'entityName', title: 'Name' },
        { key: 'metric', title: 'Metric' },
        { key: 'value', title: 'Value', align: 'right' },
        { key: 'unit', title: 'Unit' },
        { key: 'qualifier', title: 'Qualifier' },
        { key: 'forPeriod', title: 'For' },
        { key: 'reportedBy', title: 'Reported by' },
        { key: 'effectiveFrom', title: 'Reported' },
      ],
      rows: s.metrics,
    },
  ]
}

export const marketSnapshot = defineReport<SnapshotState, MarketSnapshot, MarketEntry>({
  name: 'market-snapshot',
  title: 'Market snapshot',
  description:
    'The whole market as of asOf, as known at knownAt: every product with its prices, every alliance with ' +
    'its members, every company with its funding totals by currency and latest valuation, and the metrics ' +
    'in effect. Agrees with the read models for the same asOf and knownAt.',
  period: 'as-of',
  eventTypes: [
    ...catalogue.namingTypes(),
    'price.changed',
    'alliance.member_joined',
    'alliance.member_left',
    'funding.round_closed',
    'metric.reported',
  ],
  resultSchema: MarketSnapshotSchema,
  initialState: (parameters) => initialSnapshot(parameters.asOf),
  evolve: evolveSnapshot,
  result: snapshotOf,
  tables: snapshotTables,
})
