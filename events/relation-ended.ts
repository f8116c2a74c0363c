import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Slug, Text } from '../src/catalogue/fields.js'
import { RelationKind, relationWording } from './relation-established.js'

export const relationEnded = defineEventType({
  type: 'relation.ended',
  subject: 'the `from` entity',
  description: 'A relation between two entities ended.',
  schema: Type.Object(
    {
      to: Slug,
      kind: RelationKind,
      reason: Type.Optional(Text(2000)),
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) => {
    const wording = relationWording(data.kind)
    const ended = wording.startsWith('is ') ? `is no longer ${wording.slice(3)}` : `no longer ${wording}`
    return `${names.name(subject)} ${ended} ${names.name(data.to)}${data.reason ? `: ${data.reason}` : ''}`
  },
})
