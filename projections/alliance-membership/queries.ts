import { Type } from 'typebox'
import { Slug } from '../../src/catalogue/fields.js'
import { NotFound } from '../../src/errors.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { asOfAndKnownAt } from '../../src/queries/parameters.js'
import { defineQuery } from '../../src/queries/query.js'
import { alliancesAsOf } from './read.js'
import { AllianceSchema } from './schemas.js'

const readModels = ['alliance-membership', 'entities']

const listAlliances = defineQuery({
  operationId: 'listAlliances',
  path: '/v1/alliances',
  summary: 'Alliances and their members as of a date, as known at a date',
  querystring: asOfAndKnownAt,
  answer: Type.Object({ asOf: Instant, knownAt: Instant, alliances: Type.Array(AllianceSchema) }),
  readModels,
  cache: 'when-asOf-given',
  async run({ db, at, cached }) {
    const alliances = await cached(() => alliancesAsOf(db, at))
    return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), alliances }
  },
})

const getAlliance = defineQuery({
  operationId: 'getAlliance',
  path: '/v1/alliances/:alliance',
  summary: 'One alliance and its members as of a date',
  params: { alliance: Slug },
  querystring: asOfAndKnownAt,
  answer: Type.Object({ asOf: Instant, knownAt: Instant, ...AllianceSchema.properties }),
  readModels,
  cache: 'when-asOf-given',
  async run({ db, at, cached }, { params }) {
    const [alliance] = await cached(() => alliancesAsOf(db, { ...at, alliance: params.alliance }))
    if (!alliance)
      throw new NotFound(`no alliance '${params.alliance}' in effect at ${at.asOf.toISOString()}`)
    return { asOf: at.asOf.toISOString(), knownAt: at.knownAt.toISOString(), ...alliance }
  },
})

export const allianceQueries = [listAlliances, getAlliance]
