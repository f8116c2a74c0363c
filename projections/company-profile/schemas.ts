import { type Static, Type } from 'typebox'
import { Instant, NullableInstant, NullableString, PlanStatus } from '../../src/queries/answer-fields.js'
import { AllianceMembershipSchema } from '../alliance-membership/schemas.js'
import { FundingRoundSchema } from '../funding.js'
import { RelationSchema } from '../relations/schemas.js'

/** The answer of the company profile; its funding rounds and alliances are their read models' own. */

const CompanyProductSchema = Type.Object({
  product: Type.String(),
  name: Type.String(),
  localName: NullableString,
  category: NullableString,
  // When the company launched it; null when only its ownership is known.
  since: NullableInstant,
})
export type CompanyProduct = Static<typeof CompanyProductSchema>

export const LatestValuationSchema = Type.Object({
  value: Type.String(),
  currency: Type.String(),
  qualifier: Type.String(),
  round: Type.String(),
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid' }),
})
export type LatestValuation = Static<typeof LatestValuationSchema>

const PartnershipSchema = Type.Object({
  parties: Type.Array(Type.Object({ party: Type.String(), name: Type.String() })),
  name: NullableString,
  summary: NullableString,
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid' }),
})
export type Partnership = Static<typeof PartnershipSchema>

const CompanyPlanSchema = Type.Object({
  type: Type.String(),
  subject: Type.String(),
  status: PlanStatus,
  occurredAt: Type.String({ description: 'When the plan was stated, as given' }),
  effectiveFrom: Instant,
  summary: Type.String({
    description: 'One line, "Planned: …" or "Announced: …", with names as known at knownAt',
  }),
  eventId: Type.String({ format: 'uuid' }),
})
export type CompanyPlan = Static<typeof CompanyPlanSchema>

export const CompanyProfileSchema = Type.Object({
  company: Type.String(),
  name: Type.String(),
  localName: NullableString,
  products: Type.Array(CompanyProductSchema),
  fundingRounds: Type.Array(FundingRoundSchema),
  latestValuation: Type.Union([LatestValuationSchema, Type.Null()]),
  alliances: Type.Array(AllianceMembershipSchema),
  partnerships: Type.Array(PartnershipSchema),
  stakes: Type.Object({
    held: Type.Array(
      Type.Object({ company: Type.String(), name: Type.String(), since: Instant, eventId: Type.String() }),
    ),
    received: Type.Array(
      Type.Object({ investor: Type.String(), name: Type.String(), since: Instant, eventId: Type.String() }),
    ),
  }),
  // Relations in effect with the company at either end, as GET /v1/relations?subject= answers them.
  relations: Type.Array(RelationSchema),
  plans: Type.Array(CompanyPlanSchema, {
    description:
      'Planned and announced facts about the company, its products, and relations from or to it, stated by ' +
      'asOf (their effectiveFrom), as known at knownAt. None of them counts in the fields above.',
  }),
})
export type CompanyProfile = Static<typeof CompanyProfileSchema>
