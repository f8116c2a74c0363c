import { Type } from 'typebox'

/** Fields that many answers share. */

export const Instant = Type.String({ format: 'date-time' })
export const NullableString = Type.Union([Type.String(), Type.Null()])
export const NullableInstant = Type.Union([Instant, Type.Null()])
