import type { Projection } from '../src/projector/projection.js'
import { allianceMembershipProjection } from './alliance-membership/index.js'
import { companyProfileProjection } from './company-profile/index.js'
import { entitiesProjection } from './entities.js'
import { fundingProjection } from './funding.js'
import { metricsProjection } from './metrics/index.js'
import { priceListProjection } from './price-list/index.js'
import { relationsProjection } from './relations/index.js'
import { timelineProjection } from './timeline/index.js'

/**
 * Every read model the projector keeps up to date. A new one is one file plus one line here.
 * The API registers their queries in this order, which is the order of the OpenAPI document.
 */
export const projections: readonly Projection[] = [
  priceListProjection,
  allianceMembershipProjection,
  companyProfileProjection,
  relationsProjection,
  fundingProjection,
  metricsProjection,
  timelineProjection,
  entitiesProjection,
]
