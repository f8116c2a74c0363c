import { readAtPoints } from '../../src/diff/between.js'
import type { Comparable, ComparableRow, DiffPoint } from '../../src/diff/model.js'
import { relationsChangedBetween } from './between.js'
import { entityRelationsAtPoints } from './history.js'
import { relationsAsOf } from './read.js'
import type { RelationInEffect } from './schemas.js'

/** Relations in effect, as `GET /v1/relations` answers them: the market's, or those with a company or product at either end. */
export const relationComparable: Comparable = {
  model: 'relation',
  readModels: ['relations', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (alliance !== undefined) return []
    const relations = await relationsAsOf(db, { ...at, subject: company ?? product })
    return relations.map(comparableRelation)
  },
  async rowsBetween(db, points, { company, product, alliance }) {
    if (alliance !== undefined) return { from: [], to: [], middle: [] }
    const subject = company ?? product
    const keys = await relationsChangedBetween(db, points, subject)
    const read = async (at: DiffPoint) =>
      keys.length ? (await relationsAsOf(db, { ...at, subject, keys })).map(comparableRelation) : []
    return readAtPoints(points, read)
  },
  async rowsAtPoints(db, points, { company, product, alliance }) {
    if (alliance !== undefined) return points.map(() => [])
    const subject = company ?? product
    if (subject === undefined) return undefined
    return (await entityRelationsAtPoints(db, points, subject)).map((relations) =>
      relations.map(comparableRelation),
    )
  },
}

function comparableRelation(relation: RelationInEffect): ComparableRow {
  return {
    key: { from: relation.from, to: relation.to, kind: relation.kind },
    row: relation,
    eventIds: [relation.eventId],
  }
}
