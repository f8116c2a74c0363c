import { Type } from 'typebox'
import { Slug } from '../../src/catalogue/fields.js'
import { NotFound } from '../../src/errors.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { asOfAndKnownAt } from '../../src/queries/parameters.js'
import { defineQuery } from '../../src/queries/query.js'
import { companyProfileAsOf } from './read.js'
import { CompanyProfileSchema } from './schemas.js'

export const getCompanyProfile = defineQuery({
  operationId: 'getCompanyProfile',
  path: '/v1/companies/:company',
  summary:
    'A company profile as of a date: products, funding, valuation, alliances, partnerships, stakes, relations, plans',
  params: { company: Slug },
  querystring: asOfAndKnownAt,
  answer: Type.Object({ asOf: Instant, knownAt: Instant, ...CompanyProfileSchema.properties }),
  readModels: ['company-profile', 'funding', 'alliance-membership', 'relations', 'entities', 'price-list'],
  cache: 'when-asOf-given',
  async run({ db, at, cached }, { params }) {
    const profile = await cached(() => companyProfileAsOf(db, { company: params.company, ...at }))
    if (!profile)
      throw new NotFound(`nothing is known about '${params.company}' at ${at.knownAt.toISOString()}`)
    return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), ...profile }
  },
})
