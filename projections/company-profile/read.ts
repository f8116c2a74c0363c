import { type Kysely, sql } from 'kysely'
import { knownBy } from '../../src/projector/change-points.js'
import { allianceMembershipsOf } from '../alliance-membership/read.js'
import { entityKnownAt, entityName, entityNames } from '../entities.js'
import { type FundingRound, fundingRounds } from '../funding.js'
import { relationsAsOf } from '../relations/read.js'
import { productsAsOf } from './market.js'
import { plansOf } from './plans.js'
import type { RelationKind } from './rows.js'
import type { CompanyProduct, CompanyProfile, LatestValuation, Partnership } from './schemas.js'

interface ProfileQuery {
  readonly company: string
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date
}

/**
 * One company as of `asOf`, as known at `knownAt`; undefined when nothing about it is known then
 * (no name and no fact at any valid time).
 */
export async function companyProfileAsOf<DB>(
  db: Kysely<DB>,
  q: ProfileQuery,
): Promise<CompanyProfile | undefined> {
  const [identity, products, relations, rounds, alliances, plans, relationsInEffect] = await Promise.all([
    identityOf(db, q),
    productsOf(db, q),
    relationsOf(db, q),
    fundingRounds(db, q),
    allianceMembershipsOf(db, q),
    plansOf(db, q),
    relationsAsOf(db, { asOf: q.asOf, knownAt: q.knownAt, reportedBy: q.reportedBy, subject: q.company }),
  ])
  if (!identity.known) return undefined
  return {
    company: q.company,
    name: identity.name ?? q.company,
    localName: identity.local_name,
    products,
    fundingRounds: rounds,
    latestValuation: latestValuationOf(rounds),
    alliances,
    partnerships: relations.filter((r) => r.kind === 'partnership').map(partnershipOf),
    stakes: stakesOf(relations),
    relations: relationsInEffect,
    plans,
  }
}

interface IdentityRow {
  name: string | null
  local_name: string | null
  known: boolean
}

async function identityOf<DB>(db: Kysely<DB>, q: ProfileQuery): Promise<IdentityRow> {
  const at = { knownAt: q.knownAt, reportedBy: q.reportedBy }
  const { rows } = await sql<IdentityRow>`
    select ent.name, ent.local_name, (
      ent.name is not null
      or exists (select 1 from rm_company_profile.company_products p where p.company = ${q.company} and ${knownBy('p', at)})
      or exists (select 1 from rm_company_profile.company_relations r where r.company = ${q.company} and ${knownBy('r', at)})
      or exists (select 1 from rm_company_profile.company_plans l where l.company = ${q.company} and ${knownBy('l', at)})
      or exists (select 1 from rm_funding.funding_rounds f where f.company = ${q.company} and ${knownBy('f', at)})
      or exists (
        select 1 from rm_relations.relation_changes c
         where (c.from_entity = ${q.company} or c.to_entity = ${q.company}) and ${knownBy('c', at)}
      )
      or exists (
        select 1 from rm_alliance_membership.membership_changes m where m.member = ${q.company} and ${knownBy('m', at)}
      )
      or exists (
        select 1 from rm_alliance_membership.alliances a
         where a.conveners @> array[${q.company}::text] and ${knownBy('a', at)}
      )
    ) as known
      from (select 1) as one
      left join lateral ${entityKnownAt(sql`${q.company}::text`, at)} ent on true
  `.execute(db)
  return rows[0] ?? { name: null, local_name: null, known: false }
}

/** The products the company owns at `asOf`, as the market's products name their owners. */
async function productsOf<DB>(db: Kysely<DB>, q: ProfileQuery): Promise<CompanyProduct[]> {
  return (await productsAsOf(db, q)).map((owned) => owned.product)
}

interface RelationRow {
  kind: RelationKind
  counterpart: string | null
  counterpart_name: string | null
  parties: string[] | null
  party_names: string[]
  name: string | null
  summary: string | null
  effective_from: Date
  event_id: string
}

/** The company's partnerships and stakes that took effect by `asOf`, in valid-time order. */
async function relationsOf<DB>(db: Kysely<DB>, q: ProfileQuery): Promise<RelationRow[]> {
  const { rows } = await sql<RelationRow>`
    select r.kind, r.counterpart, ${entityName(sql.ref('r.counterpart'), q)} as counterpart_name,
           r.parties, ${entityNames(sql.ref('r.parties'), q)} as party_names,
           r.name, r.summary, r.effective_from, r.event_id
      from rm_company_profile.company_relations r
     where r.company = ${q.company} and r.effective_from <= ${q.asOf} and ${knownBy('r', q)}
     order by r.effective_from, r.position
  `.execute(db)
  return rows
}

function partnershipOf(r: RelationRow): Partnership {
  return {
    parties: (r.parties ?? []).map((party, i) => ({ party, name: r.party_names[i] ?? party })),
    name: r.name,
    summary: r.summary,
    effectiveFrom: r.effective_from.toISOString(),
    eventId: r.event_id,
  }
}

interface Stake {
  readonly counterpart: string
  readonly name: string
  readonly since: string
  readonly eventId: string
}

/** One stake per counterpart, since its earliest acquisition; sorted by counterpart. */
function stakesIn(relations: readonly RelationRow[], kind: RelationKind): Stake[] {
  const stakes = new Map<string, Stake>()
  for (const r of relations) {
    if (r.kind !== kind || r.counterpart === null || stakes.has(r.counterpart)) continue
    stakes.set(r.counterpart, {
      counterpart: r.counterpart,
      name: r.counterpart_name ?? r.counterpart,
      since: r.effective_from.toISOString(),
      eventId: r.event_id,
    })
  }
  return [...stakes.values()].sort((a, b) =>
    a.counterpart < b.counterpart ? -1 : a.counterpart > b.counterpart ? 1 : 0,
  )
}

function stakesOf(relations: readonly RelationRow[]): CompanyProfile['stakes'] {
  return {
    held: stakesIn(relations, 'stake-held').map(({ counterpart, ...s }) => ({ company: counterpart, ...s })),
    received: stakesIn(relations, 'stake-received').map(({ counterpart, ...s }) => ({
      investor: counterpart,
      ...s,
    })),
  }
}

/** The valuation of the latest round that has one; `rounds` are in valid-time order. */
export function latestValuationOf(rounds: readonly FundingRound[]): LatestValuation | null {
  const round = rounds.findLast((r) => r.valuation !== null)
  if (!round?.valuation) return null
  return {
    ...round.valuation,
    round: round.round,
    effectiveFrom: round.effectiveFrom,
    eventId: round.eventId,
  }
}
