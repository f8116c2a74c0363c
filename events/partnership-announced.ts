import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Slug, Status, Text } from '../src/catalogue/fields.js'
import { listOf } from './wording.js'

export const partnershipAnnounced = defineEventType({
  type: 'partnership.announced',
  subject: 'one of the parties',
  description: 'Two or more parties announced a partnership.',
  schema: Type.Object(
    {
      parties: Type.Array(Slug, { minItems: 2, maxItems: 50, uniqueItems: true }),
      name: Type.Optional(Text(200)),
      localName: Type.Optional(Text(200)),
      summary: Text(2000),
      status: Status(),
    },
    { additionalProperties: false },
  ),
  summary: ({ data }, names) => {
    const parties = listOf(data.parties.map((slug) => names.name(slug)))
    const title = data.name
      ? ` ${data.name}${data.localName ? ` (${data.localName})` : ''}`
      : ' a partnership'
    return `${parties} announced${title}: ${data.summary}`
  },
})
