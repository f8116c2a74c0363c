import { Type } from 'typebox'
import { factStatuses, LiteralUnion } from '../catalogue/fields.js'

/** Fields that many answers share. */

export const Instant = Type.String({ format: 'date-time' })
export const NullableString = Type.Union([Type.String(), Type.Null()])
export const NullableInstant = Type.Union([Instant, Type.Null()])

const statusWords = 'planned (intended, not in effect) or announced (made public, not yet in effect)'

/** A planned or announced fact's status. */
export const PlanStatus = Type.Union(LiteralUnion(factStatuses).anyOf, { description: statusWords })

/** A fact's status in an answer: `planned`, `announced`, or null when the fact is in effect. */
export const NullableStatus = Type.Union([...LiteralUnion(factStatuses).anyOf, Type.Null()], {
  description: `${statusWords}; null: in effect`,
})
