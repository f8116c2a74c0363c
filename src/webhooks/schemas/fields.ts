import { Type } from 'typebox'
import { typePatternRegex } from '../../catalogue/catalogue.js'
import { Slug } from '../../catalogue/fields.js'

export const Id = Type.String({ format: 'uuid' })
export const SubscriptionStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('paused'),
  Type.Literal('disabled'),
])
export const DeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
])
export const DateTimeOrNull = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description:
    'Where deliveries are POSTed: http(s), on a public address unless WEBHOOK_ALLOW_PRIVATE=true. Redirects are not followed.',
  examples: ['https://example.com/hooks/market'],
})
export const Types = Type.Array(Type.String({ pattern: typePatternRegex, maxLength: 200 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'Event types or patterns (`price.*`, `*`). Default: every type.',
  examples: [['price.*', 'product.launched']],
})
export const Subjects = Type.Array(Slug, {
  maxItems: 500,
  uniqueItems: true,
  description: 'Only events of these subjects. Empty (the default): every subject.',
})
export const Description = Type.String({ maxLength: 500 })
