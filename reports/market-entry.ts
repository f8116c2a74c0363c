import type { EventName, MarketEvent } from '../events/index.js'
import type { LogEntryOf } from '../src/reports/report.js'

/** A fact of the market as a report's replay sees it: `switch (event.type)` narrows `data`. */
export type MarketEntry = LogEntryOf<MarketEvent>

/** The entries of one event type: `EntryOf<'price.changed'>`. */
export type EntryOf<Name extends EventName> = Extract<MarketEntry, { readonly type: Name }>
