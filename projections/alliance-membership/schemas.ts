import { type Static, Type } from 'typebox'
import { Instant, NullableString } from '../../src/queries/answer-fields.js'

/** The answers of alliance membership: an alliance with its members, and one company's memberships. */

export const AllianceSchema = Type.Object({
  alliance: Type.String(),
  name: Type.String(),
  localName: NullableString,
  conveners: Type.Array(Type.String()),
  // A member's `since`: the start of the current membership, the first join after it last left.
  members: Type.Array(Type.Object({ member: Type.String(), name: Type.String(), since: Instant })),
  formedAt: Instant,
  eventId: Type.String({ format: 'uuid' }),
})
export type AllianceAsOf = Static<typeof AllianceSchema>

/** An alliance as a company's profile shows it. */
export const AllianceMembershipSchema = Type.Object({
  alliance: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('convener'), Type.Literal('member')]),
  // A convener's formation date; a member's start of current membership.
  since: Instant,
})
export type AllianceMembership = Static<typeof AllianceMembershipSchema>
