import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Currency, NonNegativeDecimal, Qualifier, Slugs, Text } from '../src/catalogue/fields.js'
import { groupDigits, listOf, qualified } from './wording.js'

export const fundingRoundClosed = defineEventType({
  type: 'funding.round_closed',
  subject: 'the company',
  description: 'A company closed a funding round; amount, valuation and investors when known.',
  schema: Type.Object(
    {
      round: Text(100, 'e.g. "A1", "Series B"; "undisclosed" when the source names none'),
      amount: Type.Optional(
        Type.Object({ value: NonNegativeDecimal, currency: Currency }, { additionalProperties: false }),
      ),
      valuation: Type.Optional(
        Type.Object(
          { value: NonNegativeDecimal, currency: Currency, qualifier: Qualifier },
          { additionalProperties: false },
        ),
      ),
      investors: Slugs,
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) => {
    const round = data.round === 'undisclosed' ? 'a funding round' : `its ${data.round} round`
    const amount = data.amount ? ` of ${groupDigits(data.amount.value)} ${data.amount.currency}` : ''
    const valuation = data.valuation
      ? `, valued at ${qualified(data.valuation.value, data.valuation.qualifier)} ${data.valuation.currency}`
      : ''
    const investors = data.investors.length
      ? ` from ${listOf(data.investors.map((slug) => names.name(slug)))}`
      : ''
    return `${names.name(subject)} closed ${round}${amount}${investors}${valuation}`
  },
})
