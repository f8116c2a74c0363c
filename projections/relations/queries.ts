import { Type } from 'typebox'
import { relationKinds } from '../../events/relation-established.js'
import { Slug } from '../../src/catalogue/fields.js'
import { Instant } from '../../src/queries/answer-fields.js'
import { asOfAndKnownAt, Limit, NextPage, PageCursor } from '../../src/queries/parameters.js'
import { defineQuery } from '../../src/queries/query.js'
import { decodeCursor, encodeCursor } from '../../src/queries/valid-time-cursor.js'
import { relationsPage } from './read.js'
import { RelationSchema } from './schemas.js'

const kindPattern = `(${relationKinds.join('|')})`

const KindFilter = Type.String({
  pattern: `^${kindPattern}(,${kindPattern})*$`,
  maxLength: 200,
  description: `Comma-separated relation kinds: ${relationKinds.map((k) => `\`${k}\``).join(', ')}.`,
  examples: ['built-on,integrates'],
})

const listRelations = defineQuery({
  operationId: 'listRelations',
  path: '/v1/relations',
  summary: 'Relations between entities in effect at a date, as known at a date',
  description:
    'One row per relation (from, kind, to) in effect at `asOf`, in valid-time order of `since`. A relation ' +
    'is in effect from an establishment until an end that follows it; established again, it has a new ' +
    '`since`. An end before any establishment ends nothing. A planned or announced establishment is not in ' +
    'effect and is not shown here.',
  querystring: {
    ...asOfAndKnownAt,
    subject: Type.Optional(
      Type.String({ ...Slug, description: 'Only relations with this entity at either end (from or to).' }),
    ),
    kind: Type.Optional(KindFilter),
    limit: Type.Optional(Limit),
    next: Type.Optional(PageCursor),
  },
  answer: Type.Object({
    asOf: Instant,
    knownAt: Instant,
    relations: Type.Array(RelationSchema),
    next: NextPage,
  }),
  readModels: ['relations', 'entities'],
  cache: 'when-asOf-given',
  async run({ db, at, cached }, { query: { subject, kind, limit = 100, next } }) {
    const after = next ? decodeCursor(next) : undefined
    const query = {
      ...at,
      ...(subject ? { subject } : {}),
      ...(kind ? { kinds: [...new Set(kind.split(','))] } : {}),
      limit,
      ...(after ? { after } : {}),
    }
    const { relations, last } = await cached(() => relationsPage(db, query))
    return {
      asOf: at.asOf.toISOString(),
      knownAt: at.knownAt.toISOString(),
      relations,
      next: last && relations.length === limit ? encodeCursor(last.effectiveFrom, last.position) : null,
    }
  },
})

export const relationQueries = [listRelations]
