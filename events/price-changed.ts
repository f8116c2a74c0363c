import { Type } from 'typebox'
import { percentChange } from '../src/catalogue/decimal.js'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Currency, LiteralUnion, NonNegativeDecimal, Status, Text } from '../src/catalogue/fields.js'
import { signedPercent } from './wording.js'

export const priceComponents = ['input', 'output', 'total', 'flat'] as const

export const priceChanged = defineEventType({
  type: 'price.changed',
  subject: 'the product',
  description:
    'A price of a product took a new value. previousAmount, when given, is the price in effect before it.',
  schema: Type.Object(
    {
      component: LiteralUnion(priceComponents),
      amount: NonNegativeDecimal,
      currency: Currency,
      unit: Text(50, 'What the amount buys, e.g. "1K tokens"'),
      previousAmount: Type.Optional(NonNegativeDecimal),
      status: Status(),
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) => {
    const owner = names.owner(subject)
    const product = names.name(subject)
    const per = `${data.currency}/${data.unit}`
    const isFree = Number(data.amount) === 0
    if (data.previousAmount === undefined) {
      const actor = owner ? `${names.name(owner)} set` : 'Set'
      return `${actor} ${product} ${data.component} price to ${data.amount} ${per}${isFree ? ' (free)' : ''}`
    }
    // One decimal in a summary; the price-changes report gives two.
    const change = percentChange(data.previousAmount, data.amount, 1)
    const from = Number(data.previousAmount)
    const to = Number(data.amount)
    const verb = isFree ? 'made' : to < from ? 'cut' : to > from ? 'raised' : 'kept'
    const head = owner ? `${names.name(owner)} ${verb} ${product}` : `${product}: ${verb}`
    const what = isFree ? ` free: ${data.component} price` : ` ${data.component} price`
    return `${head}${what} ${data.previousAmount} → ${data.amount} ${per}${change === null ? '' : ` (${signedPercent(change)})`}`
  },
})
