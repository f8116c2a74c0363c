import { Type } from 'typebox'
import { Slug } from '../../src/catalogue/fields.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { asOfAndKnownAt, knownAtOnly } from '../../src/queries/parameters.js'
import { defineQuery } from '../../src/queries/query.js'
import { priceHistory, priceListAsOf } from './read.js'
import { PriceChangeSchema, PriceInEffectSchema } from './schemas.js'

const getPriceList = defineQuery({
  operationId: 'getPriceList',
  path: '/v1/prices',
  summary: 'Prices in effect as of a date, as known at a date',
  description:
    "One row per (product, component) in effect at `asOf`. A price known only from a later change's " +
    '`previousAmount` is answered with `effectiveFrom: null` (in effect since an unknown date).',
  querystring: { ...asOfAndKnownAt, product: Type.Optional(Slug), company: Type.Optional(Slug) },
  answer: Type.Object({
    asOf: Type.String({ format: 'date-time' }),
    knownAt: Type.String({ format: 'date-time' }),
    prices: Type.Array(PriceInEffectSchema),
  }),
  readModels: ['price-list', 'entities'],
  cache: 'when-asOf-given',
  async run({ db, at, cached }, { query: { product, company } }) {
    const query = { ...at, ...(product ? { product } : {}), ...(company ? { company } : {}) }
    const prices = await cached(() => priceListAsOf(db, query))
    return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), prices }
  },
})

const getPriceHistory = defineQuery({
  operationId: 'getPriceHistory',
  path: '/v1/products/:product/prices',
  summary: "A product's price changes in valid-time order, as known at a date",
  description:
    'Planned and announced changes are among them, marked by `status`; the price list never counts them, ' +
    'nor their `previousAmount`.',
  params: { product: Slug },
  querystring: knownAtOnly,
  answer: Type.Object({ product: Type.String(), knownAt: Instant, changes: Type.Array(PriceChangeSchema) }),
  readModels: ['price-list'],
  cache: 'always',
  async run({ db, at, cached }, { params: { product } }) {
    const changes = await cached(() => priceHistory(db, product, at))
    return { product, knownAt: at.knownAt.toISOString(), changes }
  },
})

export const priceListQueries = [getPriceList, getPriceHistory]
