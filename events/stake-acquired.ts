import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Slug, Text } from '../src/catalogue/fields.js'

export const stakeAcquired = defineEventType({
  type: 'stake.acquired',
  subject: 'the investor',
  description: 'An investor became a shareholder of a company.',
  schema: Type.Object({ company: Slug, summary: Type.Optional(Text(2000)) }, { additionalProperties: false }),
  summary: ({ subject, data }, names) =>
    `${names.name(subject)} acquired a stake in ${names.name(data.company)}`,
})
