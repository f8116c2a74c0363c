import { type Kysely, sql } from 'kysely'
import type { DiffPoint, SharedReads } from '../src/diff/model.js'
import { perKnowledge } from '../src/history/points.js'
import { isKnownBy, type KnownTimes, knownTimes } from '../src/projector/known-times.js'
import { entityVersions, namesAsKnown } from './entity-versions.js'
import { type FundingRound, type FundingRoundRow, fundingRoundOf, fundingRounds } from './funding.js'

/**
 * The rounds at one point: the first `count` of `rounds`. Every point of one knowledge shares the
 * same `rounds`, so that what is made of a round (a comparable row) is made once per history.
 */
export interface RoundsAtPoint {
  readonly rounds: readonly FundingRound[]
  readonly count: number
}

type StoredRound = Omit<FundingRoundRow, 'effective_from'> & KnownTimes & { effective_from: Date }

/**
 * Rounds at many points: a round's row is the same at every asOf from its effectiveFrom on (names
 * are read as known, whatever the valid time), so the rounds at a point are the first of them, in
 * valid-time order, that took effect by it. A company's rounds are read once for every knowledge
 * of the points (its rounds and its names' registrations, each kept per knowledge as `knownBy`
 * would keep it); the market's once per knowledge.
 */
export function roundsAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  company: string | undefined,
  shared: SharedReads,
): Promise<RoundsAtPoint[]> {
  // The funding rounds and the valuations of one history ask for the same points: read them once.
  return shared.once(`funding-rounds:${company ?? ''}`, () => readRoundsAtPoints(db, points, company))
}

async function readRoundsAtPoints<DB>(
  db: Kysely<DB>,
  points: readonly DiffPoint[],
  company: string | undefined,
): Promise<RoundsAtPoint[]> {
  if (points.length === 0) return []
  if (company === undefined)
    return perKnowledge(points, async (asOfs, knowledge) => {
      const latest = new Date(Math.max(...asOfs.map((t) => t.getTime())))
      return prefixes(await fundingRounds(db, { asOf: latest, ...knowledge }), asOfs)
    })
  const latestAsOf = new Date(Math.max(...points.map((p) => p.asOf.getTime())))
  const latestKnownAt = new Date(Math.max(...points.map((p) => p.knownAt.getTime())))
  const { rows } = await sql<StoredRound>`
    select f.*, ${knownTimes('f')}
      from rm_funding.funding_rounds f
     where f.company = ${company} and f.recorded_at <= ${latestKnownAt} and f.effective_from <= ${latestAsOf}
     order by f.effective_from, f.position
  `.execute(db)
  const slugs = [...new Set([company, ...rows.flatMap((r) => r.investors)])]
  const versions = await entityVersions(db, slugs, latestKnownAt)
  // A round is made once for each set of names it is read under: most knowledges share them.
  const made = new Map<string, Map<StoredRound, FundingRound>>()
  return perKnowledge(points, async (asOfs, knowledge) => {
    const name = namesAsKnown(versions, knowledge)
    const names = slugs.map(name).join('\u0000')
    const ofNames = made.get(names) ?? new Map<StoredRound, FundingRound>()
    made.set(names, ofNames)
    const roundOf = (r: StoredRound): FundingRound => {
      const round =
        ofNames.get(r) ??
        fundingRoundOf({ ...r, company_name: name(r.company), investor_names: r.investors.map(name) })
      ofNames.set(r, round)
      return round
    }
    return prefixes(rows.filter((r) => isKnownBy(r, knowledge)).map(roundOf), asOfs)
  })
}

/** The rounds (in valid-time order) at each of `asOfs`. */
function prefixes(rounds: readonly FundingRound[], asOfs: readonly Date[]): RoundsAtPoint[] {
  const effective = rounds.map((r) => Date.parse(r.effectiveFrom))
  return asOfs.map((asOf) => ({ rounds, count: countUpTo(effective, asOf.getTime()) }))
}

/**
 * The items made of the rounds at each point, in their order: each round's item made once
 * (`make`), and the lists of one knowledge cut from one list.
 */
export function prefixesOf<T>(atPoints: readonly RoundsAtPoint[], make: (round: FundingRound) => T): T[][] {
  const items = new Map<FundingRound, T>()
  const itemOf = (round: FundingRound): T => {
    const item = items.get(round) ?? make(round)
    items.set(round, item)
    return item
  }
  const lists = new Map<readonly FundingRound[], readonly T[]>()
  return atPoints.map(({ rounds, count }) => {
    const list = lists.get(rounds) ?? rounds.map(itemOf)
    lists.set(rounds, list)
    return list.slice(0, count)
  })
}

/** How many of the ascending `times` are at most `t`. */
function countUpTo(times: readonly number[], t: number): number {
  let low = 0
  let high = times.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if ((times[mid] as number) <= t) low = mid + 1
    else high = mid
  }
  return low
}
