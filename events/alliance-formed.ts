import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Slug, Slugs, Status, Text } from '../src/catalogue/fields.js'
import { listOf } from './wording.js'

export const allianceFormed = defineEventType({
  type: 'alliance.formed',
  subject: 'the alliance',
  namesEntity: true,
  description: 'An alliance was formed by its conveners with its founding members.',
  schema: Type.Object(
    {
      name: Text(200),
      localName: Type.Optional(Text(200)),
      conveners: Type.Array(Slug, { minItems: 1, maxItems: 50, uniqueItems: true }),
      members: Slugs,
      summary: Type.Optional(Text(2000)),
      status: Status(),
    },
    { additionalProperties: false },
  ),
  summary: ({ data }, names) => {
    const conveners = listOf(data.conveners.map((slug) => names.name(slug)))
    const title = `${data.name}${data.localName ? ` (${data.localName})` : ''}`
    const members = data.members.map((slug) => names.name(slug))
    return `${conveners} formed ${title} with ${members.length} member${members.length === 1 ? '' : 's'}: ${listOf(members)}`
  },
})
