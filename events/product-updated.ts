import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Status, Text } from '../src/catalogue/fields.js'
import { groupDigits } from './wording.js'

const Tokens = Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 })

export const productUpdated = defineEventType({
  type: 'product.updated',
  subject: 'the product',
  description: 'A product changed: new capabilities, a new context window.',
  schema: Type.Object(
    {
      summary: Text(2000),
      contextWindowTokens: Type.Optional(Tokens),
      /** The window before this update, when the source gives it (like a price's previousAmount). */
      previousContextWindowTokens: Type.Optional(Tokens),
      features: Type.Optional(Type.Array(Text(200), { maxItems: 100 })),
      status: Status(),
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) => {
    const window = data.contextWindowTokens
      ? data.previousContextWindowTokens
        ? ` (context window ${groupDigits(String(data.previousContextWindowTokens))} → ${groupDigits(String(data.contextWindowTokens))} tokens)`
        : ` (context window ${groupDigits(String(data.contextWindowTokens))} tokens)`
      : ''
    return `${names.name(subject)} updated: ${data.summary}${window}`
  },
})
