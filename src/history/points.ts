import type { DiffPoint } from '../diff/model.js'
import type { Knowledge } from '../projector/change-points.js'

/**
 * Answers for many points from one read per knowledge (knownAt and reportedBy): a history's points
 * share the history's knownAt but for its retracted facts, each told as known just before its
 * retraction. `read` gets the asOf instants of one knowledge (and where they are in `points`) and
 * answers in their order.
 */
export async function perKnowledge<T>(
  points: readonly DiffPoint[],
  read: (asOfs: readonly Date[], knowledge: Knowledge, indexes: readonly number[]) => Promise<T[]>,
): Promise<T[]> {
  const groups = new Map<string, { knowledge: Knowledge; indexes: number[] }>()
  points.forEach((p, i) => {
    const key = `${p.knownAt.getTime()}/${p.reportedBy?.getTime() ?? ''}`
    const group = groups.get(key) ?? {
      knowledge: { knownAt: p.knownAt, reportedBy: p.reportedBy },
      indexes: [],
    }
    group.indexes.push(i)
    groups.set(key, group)
  })
  const answers = new Array<T>(points.length)
  await Promise.all(
    [...groups.values()].map(async ({ knowledge, indexes }) => {
      const answered = await read(
        indexes.map((i) => (points[i] as DiffPoint).asOf),
        knowledge,
        indexes,
      )
      for (const [n, i] of indexes.entries()) answers[i] = answered[n] as T
    }),
  )
  return answers
}
