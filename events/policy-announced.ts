import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Text } from '../src/catalogue/fields.js'

export const policyAnnounced = defineEventType({
  type: 'policy.announced',
  subject: 'the issuing institution',
  description: 'An institution announced a policy: a report, a programme, a rule.',
  schema: Type.Object(
    {
      name: Text(200, 'English name'),
      localName: Type.Optional(Text(200, 'Name in the local language (中文)')),
      summary: Text(2000),
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) =>
    `${names.name(subject)} announced ${data.name}${data.localName ? ` (${data.localName})` : ''}: ${data.summary}`,
})
