import { Catalogue } from '../src/catalogue/catalogue.js'
import type { EventOf } from '../src/catalogue/event-type.js'
import { allianceFormed } from './alliance-formed.js'
import { allianceMemberJoined, allianceMemberLeft } from './alliance-membership.js'
import { entityRegistered } from './entity-registered.js'
import { eventRetracted } from './event-retracted.js'
import { fundingRoundClosed } from './funding-round-closed.js'
import { metricReported } from './metric-reported.js'
import { partnershipAnnounced } from './partnership-announced.js'
import { policyAnnounced } from './policy-announced.js'
import { priceChanged } from './price-changed.js'
import { productLaunched } from './product-launched.js'
import { productUpdated } from './product-updated.js'
import { relationEnded } from './relation-ended.js'
import { relationEstablished } from './relation-established.js'
import { stakeAcquired } from './stake-acquired.js'

/** Catalogue v1.1: every type of fact the service accepts. A new type is one file plus one line here. */
export const catalogue = new Catalogue([
  entityRegistered,
  productLaunched,
  productUpdated,
  priceChanged,
  allianceFormed,
  allianceMemberJoined,
  allianceMemberLeft,
  partnershipAnnounced,
  fundingRoundClosed,
  stakeAcquired,
  metricReported,
  relationEstablished,
  relationEnded,
  policyAnnounced,
  eventRetracted,
])

type MarketEventType = (typeof catalogue.types)[number]

/** Every fact of the market as recorded: `switch (event.type)` narrows `data`. */
export type MarketEvent = EventOf<MarketEventType>

export type EventName = MarketEvent['type']

/** The recorded events of one type: `MarketEventOf<'price.changed'>`. */
export type MarketEventOf<Name extends EventName> = Extract<MarketEvent, { readonly type: Name }>

/** The data of one event type, as its schema defines it: `EventData<'price.changed'>`. */
export type EventData<Name extends EventName> = MarketEventOf<Name>['data']
