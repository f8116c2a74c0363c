import type { Comparable } from '../../src/diff/model.js'
import { relationsAsOf } from './read.js'

/** Relations in effect, as `GET /v1/relations` answers them: the market's, or those with a company or product at either end. */
export const relationComparable: Comparable = {
  model: 'relation',
  readModels: ['relations', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (alliance !== undefined) return []
    const relations = await relationsAsOf(db, { ...at, subject: company ?? product })
    return relations.map((relation) => ({
      key: { from: relation.from, to: relation.to, kind: relation.kind },
      row: relation,
      eventIds: [relation.eventId],
    }))
  },
}
