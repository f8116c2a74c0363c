import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Knowledge } from '../projector/change-points.js'
import { endOfDate, startOfDate } from '../queries/market-dates.js'
import { periodEnds } from './intervals.js'
import { keysOf, type Measure, measures, type SeriesKeyName, type SeriesValue } from './measures.js'
import type { SeriesQuery } from './schema.js'

/** A series as asked: the measure, its keys, and the instants of its points. */
export interface SeriesRequest {
  readonly measure: Measure
  readonly keys: Partial<Readonly<Record<SeriesKeyName, string>>>
  readonly instants: readonly Date[]
}

/** Reads what the query asks for, or an InvalidInput naming the parameter that makes no series. */
export function seriesRequestOf(query: SeriesQuery, marketTz: string, now: Date): SeriesRequest {
  const measure = measures[query.measure]
  const keys = keysOf(measure, query)
  const from = startOfDate('from', query.from, marketTz) as Date
  const to = endOfDate('to', query.to, marketTz) ?? now
  return { measure, keys, instants: periodEnds(query.interval, from, to, marketTz) }
}

/** Each point's value, as the measure's read model answers at its instant, as known. */
export async function seriesPoints(
  db: Kysely<Database>,
  request: SeriesRequest,
  knowledge: Knowledge,
): Promise<Array<{ at: string; value: SeriesValue }>> {
  // keysOf checked that every key the measure needs is there.
  const keys = request.keys as Readonly<Record<SeriesKeyName, string>>
  const values = await request.measure.read(db, keys, request.instants, knowledge)
  return request.instants.map((at, i) => ({ at: at.toISOString(), value: values[i] ?? null }))
}
