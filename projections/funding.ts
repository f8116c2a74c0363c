import { type Kysely, sql } from 'kysely'
import { type Static, Type } from 'typebox'
import type { MarketEvent } from '../events/index.js'
import { Slug } from '../src/catalogue/fields.js'
import { readAtPoints } from '../src/diff/between.js'
import type { Comparable, ComparableRow, DiffPoint } from '../src/diff/model.js'
import {
  type ChangePoint,
  changePointTable,
  insertRows,
  knownBy,
  pointOf,
} from '../src/projector/change-points.js'
import { defineProjection } from '../src/projector/projection.js'
import { Instant } from '../src/queries/answer-fields.js'
import { endOfDate, startOfDate } from '../src/queries/market-dates.js'
import { asOfAndKnownAt, Limit, NextPage, PageCursor, ValidFrom, ValidTo } from '../src/queries/parameters.js'
import { defineQuery } from '../src/queries/query.js'
import { decodeCursor, encodeCursor } from '../src/queries/valid-time-cursor.js'
import { entityName, entityNames } from './entities.js'
import { roundsChangedBetween } from './funding-between.js'
import { prefixesOf, roundsAtPoints } from './funding-history.js'

/** Funding rounds from funding.round_closed, one change point per round. */
export interface FundingRoundRow extends ChangePoint {
  company: string
  round: string
  amount_value: string | null
  amount_currency: string | null
  valuation_value: string | null
  valuation_currency: string | null
  valuation_qualifier: string | null
  investors: string[]
  occurred_at: string
  precision: string
}

interface Tables {
  funding_rounds: FundingRoundRow
}

export function fundingRoundRowsOf(event: MarketEvent, marketTz: string): FundingRoundRow[] {
  if (event.type !== 'funding.round_closed') return []
  const d = event.data
  return [
    {
      company: event.subject,
      round: d.round,
      amount_value: d.amount?.value ?? null,
      amount_currency: d.amount?.currency ?? null,
      valuation_value: d.valuation?.value ?? null,
      valuation_currency: d.valuation?.currency ?? null,
      valuation_qualifier: d.valuation?.qualifier ?? null,
      investors: d.investors,
      occurred_at: event.occurredAt,
      precision: event.precision,
      ...pointOf(event, marketTz),
    },
  ]
}

const Amount = Type.Object({ value: Type.String(), currency: Type.String() })

export const FundingRoundSchema = Type.Object({
  company: Type.String(),
  companyName: Type.String(),
  round: Type.String(),
  amount: Type.Union([Amount, Type.Null()]),
  valuation: Type.Union([
    Type.Object({ value: Type.String(), currency: Type.String(), qualifier: Type.String() }),
    Type.Null(),
  ]),
  investors: Type.Array(Type.Object({ investor: Type.String(), name: Type.String() })),
  occurredAt: Type.String(),
  precision: Type.String(),
  effectiveFrom: Instant,
  eventId: Type.String({ format: 'uuid' }),
})
export type FundingRound = Static<typeof FundingRoundSchema>

export interface RoundRow extends Omit<FundingRoundRow, 'effective_from'> {
  effective_from: Date
  company_name: string
  investor_names: string[]
}

export interface FundingQuery {
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date
  /** Valid-time window on effectiveFrom, both ends included. */
  readonly from?: Date
  readonly to?: Date
  readonly company?: string
  /** Only the rounds of these events. */
  readonly eventIds?: readonly string[]
  /** At most this many rounds; all of them without. */
  readonly limit?: number
  /** Resume after this (effectiveFrom, position), from the previous page's cursor. */
  readonly after?: { readonly effectiveFrom: Date; readonly position: number }
}

/** Rounds in valid-time order, and where the last of them stands in that order (for a cursor). */
export interface FundingPage {
  readonly rounds: FundingRound[]
  readonly last: { readonly effectiveFrom: string; readonly position: number } | null
}

/** Rounds that took effect by `asOf` (and within [from, to]), as known at `knownAt`, in valid-time order. */
export async function fundingRounds<DB>(db: Kysely<DB>, q: FundingQuery): Promise<FundingRound[]> {
  return (await roundRows(db, q)).map(fundingRoundOf)
}

/** The same rounds, a page of `limit` after `after`. */
export async function fundingRoundsPage<DB>(
  db: Kysely<DB>,
  q: FundingQuery & { readonly limit: number },
): Promise<FundingPage> {
  const rows = await roundRows(db, q)
  const last = rows.at(-1)
  return {
    rounds: rows.map(fundingRoundOf),
    last: last ? { effectiveFrom: last.effective_from.toISOString(), position: Number(last.position) } : null,
  }
}

async function roundRows<DB>(db: Kysely<DB>, q: FundingQuery): Promise<RoundRow[]> {
  const from = q.from ?? null
  const to = q.to ?? null
  const company = q.company ?? null
  const eventIds = q.eventIds ?? null
  const afterFrom = q.after?.effectiveFrom ?? null
  const { rows } = await sql<RoundRow>`
    select f.*, ${entityName(sql.ref('f.company'), q)} as company_name,
           ${entityNames(sql.ref('f.investors'), q)} as investor_names
      from rm_funding.funding_rounds f
     where ${knownBy('f', q)} and f.effective_from <= ${q.asOf}
       and (${from}::timestamptz is null or f.effective_from >= ${from})
       and (${to}::timestamptz is null or f.effective_from <= ${to})
       and (${company}::text is null or f.company = ${company})
       and (${eventIds}::uuid[] is null or f.event_id = any(${eventIds}::uuid[]))
       and (${afterFrom}::timestamptz is null
            or (f.effective_from, f.position) > (${afterFrom}, ${q.after?.position ?? 0}))
     order by f.effective_from, f.position
     limit ${q.limit ?? null}
  `.execute(db)
  return rows
}

export function fundingRoundOf(r: RoundRow): FundingRound {
  return {
    company: r.company,
    companyName: r.company_name,
    round: r.round,
    amount:
      r.amount_value !== null && r.amount_currency !== null
        ? { value: r.amount_value, currency: r.amount_currency }
        : null,
    valuation:
      r.valuation_value !== null && r.valuation_currency !== null && r.valuation_qualifier !== null
        ? { value: r.valuation_value, currency: r.valuation_currency, qualifier: r.valuation_qualifier }
        : null,
    investors: r.investors.map((investor, i) => ({ investor, name: r.investor_names[i] ?? investor })),
    occurredAt: r.occurred_at,
    precision: r.precision,
    effectiveFrom: r.effective_from.toISOString(),
    eventId: r.event_id,
  }
}

const listFundingRounds = defineQuery({
  operationId: 'listFundingRounds',
  path: '/v1/funding',
  summary: 'Funding rounds in valid-time order',
  querystring: {
    ...asOfAndKnownAt,
    from: Type.Optional(ValidFrom),
    to: Type.Optional(ValidTo),
    company: Type.Optional(Slug),
    limit: Type.Optional(Limit),
    next: Type.Optional(PageCursor),
  },
  answer: Type.Object({
    asOf: Instant,
    knownAt: Instant,
    rounds: Type.Array(FundingRoundSchema),
    next: NextPage,
  }),
  readModels: ['funding', 'entities'],
  cache: 'when-asOf-given',
  async run({ db, at, marketTz, cached }, { query: { from, to, company, limit = 100, next } }) {
    const after = next ? decodeCursor(next) : undefined
    const query = {
      ...at,
      ...(from ? { from: startOfDate('from', from, marketTz) } : {}),
      ...(to ? { to: endOfDate('to', to, marketTz) } : {}),
      ...(company ? { company } : {}),
      limit,
      ...(after ? { after } : {}),
    }
    const { rounds, last } = await cached(() => fundingRoundsPage(db, query))
    return {
      asOf: at.asOf.toISOString(),
      knownAt: at.knownAt.toISOString(),
      rounds,
      next: last && rounds.length === limit ? encodeCursor(last.effectiveFrom, last.position) : null,
    }
  },
})

/** Funding rounds, as `GET /v1/funding` answers them: the market's, or a company's. */
const fundingRoundComparable: Comparable = {
  model: 'funding-round',
  readModels: ['funding', 'entities'],
  async rowsAt(db, at, { company, product, alliance }) {
    if (product !== undefined || alliance !== undefined) return []
    const rounds = await fundingRounds(db, { ...at, company })
    return rounds.map(comparableRound)
  },
  async rowsBetween(db, points, { company, product, alliance }) {
    if (product !== undefined || alliance !== undefined) return { from: [], to: [], middle: [] }
    const eventIds = await roundsChangedBetween(db, points, company)
    const read = async (at: DiffPoint) =>
      eventIds.length ? (await fundingRounds(db, { ...at, company, eventIds })).map(comparableRound) : []
    return readAtPoints(points, read)
  },
  async rowsAtPoints(db, points, { company, product, alliance }, shared) {
    if (product !== undefined || alliance !== undefined) return points.map(() => [])
    // One row per round, whichever points it is in: a history compares them by identity first.
    return prefixesOf(await roundsAtPoints(db, points, company, shared), comparableRound)
  },
}

function comparableRound(round: FundingRound): ComparableRow {
  return { key: { company: round.company, eventId: round.eventId }, row: round, eventIds: [round.eventId] }
}

export const fundingProjection = defineProjection<Tables, MarketEvent>({
  name: 'funding',
  description: 'Funding rounds, amounts, valuations and investors in valid-time order',
  tables: {
    funding_rounds:
      changePointTable(`company text not null, round text not null, amount_value text, amount_currency text,
      valuation_value text, valuation_currency text, valuation_qualifier text, investors text[] not null,
      occurred_at text not null, precision text not null`),
  },
  eventTypes: ['funding.round_closed'],
  indexes: [
    'funding_rounds (company, effective_from, position)',
    'funding_rounds (effective_from, position)',
    'funding_rounds (event_id)',
  ],
  async apply(db, events, { marketTz }) {
    await insertRows(
      db,
      'funding_rounds',
      events.flatMap((e) => fundingRoundRowsOf(e, marketTz)),
    )
  },
  queries: [listFundingRounds],
  comparables: [fundingRoundComparable],
})
