import { type Static, type TSchema, Type } from 'typebox'
import type { AllianceAsOf, AllianceMembership } from '../../projections/alliance-membership.js'
import type { CompanyProfile } from '../../projections/company-profile.js'
import type { EntityName } from '../../projections/entities.js'
import type { FundingRound } from '../../projections/funding.js'
import type { PriceChange, PriceInEffect } from '../../projections/price-list.js'
import type { TimelineEntry, TimelinePeriod } from '../../projections/timeline.js'
import { Precision } from '../catalogue/envelope.js'
import { Source } from '../catalogue/fields.js'

/**
 * Response schemas of the read-model routes: they serialise the answers and document them in
 * the OpenAPI document. The checks at the end keep them and the read models' types in step.
 */

const Instant = Type.String({ format: 'date-time' })
const NullableString = Type.Union([Type.String(), Type.Null()])
const NullableInstant = Type.Union([Instant, Type.Null()])

export const PriceInEffectSchema = Type.Object({
  product: Type.String(),
  productName: Type.String(),
  company: NullableString,
  component: Type.String(),
  amount: Type.String(),
  currency: Type.String(),
  unit: Type.String(),
  effectiveFrom: Type.Union([Instant, Type.Null()], {
    description: 'null: in effect since a date the sources do not give (known from a later previousAmount)',
  }),
  eventId: Type.String({ format: 'uuid' }),
})

export const PriceChangeSchema = Type.Object({
  component: Type.String(),
  amount: Type.String(),
  previousAmount: NullableString,
  currency: Type.String(),
  unit: Type.String(),
  occurredAt: Type.String(),
  precision: Type.String(),
  effectiveFrom: Instant,
  recordedAt: Instant,
  eventId: Type.String({ format: 'uuid' }),
  position: Type.Integer(),
})

export const AllianceSchema = Type.Object({
  alliance: Type.String(),
  name: Type.String(),
  localName: NullableString,
  conveners: Type.Array(Type.String()),
  members: Type.Array(Type.Object({ member: Type.String(), name: Type.String(), since: Instant })),
  formedAt: Instant,
  eventId: Type.String({ format: 'uuid' }),
})

const AllianceMembershipSchema = Type.Object({
  alliance: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('convener'), Type.Literal('member')]),
  since: Instant,
})

const Amount = Type.Object({ value: Type.String(), currency: Type.String() })

export const FundingRoundSchema = Type.Object({
  company: Type.String(),
  companyName: Type.String(),
  round: Type.String(),
  amount: Type.Union([Amount, Type.Null()]),
  valuation: Type.Union([
    Type.Object({ value: Type.String(), currency: Type.String(), qualifier: Type.String() }),
    Type.Null(),
  ]),
  investors: Type.Array(Type.Object({ investor: Type.String(), name: Type.String() })),
  occurredAt: Type.String(),
  precision: Type.String(),
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid' }),
})

export const CompanyProfileSchema = Type.Object({
  company: Type.String(),
  name: Type.String(),
  localName: NullableString,
  products: Type.Array(
    Type.Object({
      product: Type.String(),
      name: Type.String(),
      localName: NullableString,
      category: NullableString,
      since: NullableInstant,
    }),
  ),
  fundingRounds: Type.Array(FundingRoundSchema),
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
  alliances: Type.Array(AllianceMembershipSchema),
  partnerships: Type.Array(
    Type.Object({
      parties: Type.Array(Type.Object({ party: Type.String(), name: Type.String() })),
      name: NullableString,
      summary: NullableString,
      effectiveFrom: Instant,
      eventId: Type.String({ format: 'uuid' }),
    }),
  ),
  stakes: Type.Object({
    held: Type.Array(
      Type.Object({ company: Type.String(), name: Type.String(), since: Instant, eventId: Type.String() }),
    ),
    received: Type.Array(
      Type.Object({ investor: Type.String(), name: Type.String(), since: Instant, eventId: Type.String() }),
    ),
  }),
})

export const TimelineEntrySchema = Type.Object({
  eventId: Type.String({ format: 'uuid' }),
  position: Type.Integer(),
  type: Type.String(),
  subject: Type.String(),
  occurredAt: Type.String(),
  precision: Precision,
  effectiveFrom: Instant,
  recordedAt: Instant,
  summary: Type.String({ description: 'One line, with names as known at knownAt' }),
  data: Type.Unknown(),
  source: Type.Optional(Source),
})

export const TimelinePeriodSchema = Type.Object({
  period: Type.String({ description: '`2024-05`, or `2024` for the facts dated only to that year' }),
  precision: Type.Union([Type.Literal('year'), Type.Literal('month')]),
  from: Type.String({
    format: 'date-time',
    description: "The period's first instant in the market time zone",
  }),
  count: Type.Integer(),
})

export const EntitySchema = Type.Object({
  slug: Type.String(),
  kind: Type.String({ description: 'company, product, alliance, investor, institution' }),
  name: Type.String(),
  localName: NullableString,
  owner: Type.Union([Type.String(), Type.Null()], { description: "A product's company" }),
})

/** Fails to compile when a schema and the type it describes drift apart. */
type Mutual<S extends TSchema, T> = [Static<S>] extends [T] ? ([T] extends [Static<S>] ? true : false) : false
const inStep: [
  Mutual<typeof PriceInEffectSchema, PriceInEffect>,
  Mutual<typeof PriceChangeSchema, PriceChange>,
  Mutual<typeof AllianceSchema, AllianceAsOf>,
  Mutual<typeof AllianceMembershipSchema, AllianceMembership>,
  Mutual<typeof FundingRoundSchema, FundingRound>,
  Mutual<typeof CompanyProfileSchema, CompanyProfile>,
  Mutual<typeof TimelineEntrySchema, TimelineEntry>,
  Mutual<typeof TimelinePeriodSchema, TimelinePeriod>,
  Mutual<typeof EntitySchema, EntityName>,
] = [true, true, true, true, true, true, true, true, true]
void inStep
