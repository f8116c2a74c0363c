import type { Projection } from '../src/projector/projection.js'
import { allianceMembershipProjection } from './alliance-membership.js'
import { companyProfileProjection } from './company-profile.js'
import { entitiesProjection } from './entities.js'
import { fundingProjection } from './funding.js'
import { priceListProjection } from './price-list.js'
import { timelineProjection } from './timeline.js'

/** Every read model the projector keeps up to date. A new one is one file plus one line here. */
export const projections: readonly Projection[] = [
  entitiesProjection,
  priceListProjection,
  allianceMembershipProjection,
  fundingProjection,
  companyProfileProjection,
  timelineProjection,
]
