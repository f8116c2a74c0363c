import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { LiteralUnion, Slug, Text } from '../src/catalogue/fields.js'

export const entityKinds = ['company', 'product', 'alliance', 'investor', 'institution', 'market'] as const

export const entityRegistered = defineEventType({
  type: 'entity.registered',
  subject: 'the entity',
  namesEntity: true,
  reference: true,
  description:
    'An entity of the market exists: a company, product, alliance, investor, institution or market.',
  schema: Type.Object(
    {
      kind: LiteralUnion(entityKinds),
      name: Text(200, 'English name'),
      localName: Type.Optional(Text(200, 'Name in the local language (中文)')),
      owner: Type.Optional(Slug),
      category: Type.Optional(Text(50)),
    },
    { additionalProperties: false },
  ),
  summary: ({ data }) =>
    `Registered ${data.kind} ${data.name}${data.localName ? ` (${data.localName})` : ''}`,
})
