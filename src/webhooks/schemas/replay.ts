import { type Static, Type } from 'typebox'
import { maxPosition } from '../../catalogue/fields.js'
import { DateTimeOrNull, Id } from './fields.js'

export const ReplaySchema = Type.Object({
  id: Id,
  subscriptionId: Id,
  fromPosition: Type.Integer(),
  toPosition: Type.Integer({ description: 'The head of the log when the replay was asked for' }),
  position: Type.Integer({ description: 'How far the replay has got' }),
  deliveries: Type.Integer({ description: 'Deliveries recorded so far' }),
  createdAt: Type.String({ format: 'date-time' }),
  completedAt: DateTimeOrNull,
})
export type Replay = Static<typeof ReplaySchema>

/** Exactly one of the two (checked in `replays.ts`: the document shows both as optional). */
export const ReplayRequestSchema = Type.Object(
  {
    fromPosition: Type.Optional(Type.Integer({ minimum: 1, maximum: maxPosition })),
    since: Type.Optional(Type.String({ format: 'date-time', examples: ['2024-05-01T00:00:00Z'] })),
  },
  { additionalProperties: false },
)
export type ReplayRequest = Static<typeof ReplayRequestSchema>
