import { Type } from 'typebox'
import { catalogue } from '../events/index.js'
import { ChangeSchema } from '../src/diff/schemas.js'
import { defineReport } from '../src/reports/report.js'
import { type ChangesState, changesOf, evolveChanges, initialChanges, knownAtsOf } from './changes/fold.js'
import { changesTables } from './changes/tables.js'
import type { MarketEntry } from './market-entry.js'

/**
 * GET /v1/diff by replay: the market folded at point A, at point B and at M = (toAsOf,
 * fromKnownAt) in one pass over the log, then compared by the diff's own pure comparison
 * (src/diff/compare.ts). Nothing of it reads a read model; a property test holds it to the diff.
 */
const ChangesSchema = Type.Object({
  scope: Type.Object(
    {
      company: Type.Optional(Type.String()),
      product: Type.Optional(Type.String()),
      alliance: Type.Optional(Type.String()),
    },
    { description: 'What was compared: the whole market ({}), or one company, product or alliance' },
  ),
  changes: Type.Array(ChangeSchema, { description: 'As GET /v1/diff answers them, in the same order' }),
})

export const changes = defineReport<ChangesState, ReturnType<typeof changesOf>, MarketEntry>({
  name: 'changes',
  title: 'Changes between two points in time',
  description:
    'What differs between point A (fromAsOf, fromKnownAt) and point B (toAsOf, toKnownAt): every price, ' +
    'alliance, alliance member, funding round, valuation, product, relation and metric added, removed or ' +
    'changed, with its cause (knowledge or valid-time) and the events behind it, for the whole market or one ' +
    'company, product or alliance. Agrees with GET /v1/diff for the same parameters.',
  period: 'between',
  eventTypes: [
    ...catalogue.namingTypes(),
    'price.changed',
    'alliance.member_joined',
    'alliance.member_left',
    'funding.round_closed',
    'metric.reported',
    'relation.established',
    'relation.ended',
    'event.retracted',
  ],
  resultSchema: ChangesSchema,
  knownAts: knownAtsOf,
  initialState: initialChanges,
  evolve: evolveChanges,
  result: changesOf,
  tables: changesTables,
})
