import type { Kysely } from 'kysely'
import type { DiffPoint } from '../src/diff/model.js'
import { perKnowledge } from '../src/history/points.js'
import { type FundingRound, fundingRounds } from './funding.js'

/**
 * A company's rounds at many points, from one read per knowledge: a round's row is the same at
 * every asOf from its effectiveFrom on (names are read as known, whatever the valid time), so the
 * rounds at a point are those of the latest point that took effect by it, in the same order.
 */
export function roundsAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  company: string | undefined,
): Promise<FundingRound[][]> {
  return perKnowledge(points, async (asOfs, knowledge) => {
    const latest = new Date(Math.max(...asOfs.map((t) => t.getTime())))
    const rounds = await fundingRounds(db, { asOf: latest, ...knowledge, company })
    return asOfs.map((asOf) => rounds.filter((r) => Date.parse(r.effectiveFrom) <= asOf.getTime()))
  })
}
