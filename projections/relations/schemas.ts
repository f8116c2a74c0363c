import { type Static, Type } from 'typebox'
import { NullableString } from '../../src/queries/answer-fields.js'

/** A relation in effect: `from` stands to `to` as `kind` says, since its establishment. */
export const RelationSchema = Type.Object({
  from: Type.String(),
  fromName: Type.String(),
  to: Type.String(),
  toName: Type.String(),
  kind: Type.String({ description: 'built-on, integrates, part-of, invests-in, supplies, partner-of' }),
  since: Type.String({
    format: 'date-time',
    description:
      'The effectiveFrom of the establishment that began the current spell: the first one after the relation last ended',
  }),
  precision: Type.String({ description: "The precision of that establishment's occurredAt" }),
  summary: NullableString,
  eventId: Type.String({ format: 'uuid', description: 'That establishment' }),
})
export type RelationInEffect = Static<typeof RelationSchema>
