import { type Static, Type } from 'typebox'
import { LiteralUnion } from '../catalogue/fields.js'
import { diffModels } from './model.js'

const Row = Type.Unknown({
  description: "The row exactly as the model's own query answers it at that point; null when absent.",
})

/** One row that differs between the two points of a diff. */
export const ChangeSchema = Type.Object({
  model: Type.Union(LiteralUnion(diffModels).anyOf, { description: 'The read model the row belongs to' }),
  key: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
    description: 'What identifies the row within its model, e.g. {"product":"qwen-long","component":"input"}',
  }),
  change: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  before: Row,
  after: Row,
  cause: Type.Union([Type.Literal('valid-time'), Type.Literal('knowledge')], {
    description:
      'knowledge: the row as known at fromKnownAt differs from the row as known at toKnownAt, both as of toAsOf ' +
      '(a back-dated or late fact, a retraction); valid-time: what was known stayed, and a fact took effect ' +
      'between the two asOf',
  }),
  eventIds: Type.Array(Type.String({ format: 'uuid' }), {
    minItems: 1,
    description:
      'The events behind the before row, then the after row; for a knowledge change also the retractions, ' +
      'recorded between the two knownAt, of any of them',
  }),
})
export type Change = Static<typeof ChangeSchema>
export type ChangeKind = Change['change']
export type ChangeCause = Change['cause']
