import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { LiteralUnion, Slug, Status, Text } from '../src/catalogue/fields.js'
import { listOf } from './wording.js'

export const productCategories = [
  'llm',
  'app',
  'platform',
  'image-model',
  'video-model',
  'music-model',
  'agent',
  'other',
] as const

export const productLaunched = defineEventType({
  type: 'product.launched',
  subject: 'the product',
  namesEntity: true,
  description: 'A company launched a product (a model, app or platform).',
  schema: Type.Object(
    {
      company: Slug,
      /** Companies that released the product jointly with `company`, when the source says so. */
      partners: Type.Optional(
        Type.Array(Slug, {
          minItems: 1,
          maxItems: 50,
          uniqueItems: true,
          description: 'Companies that released the product jointly with `company` (联合发布).',
        }),
      ),
      name: Text(200),
      localName: Type.Optional(Text(200)),
      category: LiteralUnion(productCategories),
      summary: Type.Optional(Text(2000)),
      status: Status(),
    },
    { additionalProperties: false },
  ),
  summary: ({ data }, names) =>
    `${listOf([data.company, ...(data.partners ?? [])].map((slug) => names.name(slug)))} launched ${data.name}${data.localName ? ` (${data.localName})` : ''}, ${data.category === 'other' ? 'a product' : `a ${data.category}`}`,
})
