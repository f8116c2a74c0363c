import { type Kysely, sql } from 'kysely'
import { knownBy } from '../../src/projector/change-points.js'
import { entityName } from '../entities.js'
import type { RelationInEffect } from './schemas.js'

export interface RelationsQuery {
  readonly asOf: Date
  readonly knownAt: Date
  readonly reportedBy?: Date
  /** Relations with this entity at either end. */
  readonly subject?: string
  /** Only relations of these kinds. */
  readonly kinds?: readonly string[]
  /** Only these relations. */
  readonly keys?: readonly RelationKey[]
  /** At most this many relations; all of them without. */
  readonly limit?: number
  /** Resume after this (since, position), from the previous page's cursor. */
  readonly after?: { readonly effectiveFrom: Date; readonly position: number }
}

/** A relation's identity: its ends and kind. */
export interface RelationKey {
  readonly from: string
  readonly kind: string
  readonly to: string
}

/** Relations in valid-time order of `since`, and where the last of them stands in it (for a cursor). */
export interface RelationsPage {
  readonly relations: RelationInEffect[]
  readonly last: { readonly effectiveFrom: string; readonly position: number } | null
}

export interface RelationRow {
  from_entity: string
  from_name: string
  to_entity: string
  to_name: string
  kind: string
  effective_from: Date
  precision: string
  summary: string | null
  event_id: string
  position: string
}

/**
 * The relations in effect at `asOf`, as known at `knownAt`. Per (from, kind, to), an establishment
 * with no end after it in valid time (ties: the later position) is one of the current spell's; the
 * earliest of them began it. An end with no establishment before it ends nothing. Planned and
 * announced establishments are not in effect and count for nothing here.
 */
async function relationRows<DB>(db: Kysely<DB>, q: RelationsQuery): Promise<RelationRow[]> {
  const subject = q.subject ?? null
  const kinds = q.kinds ? [...q.kinds] : null
  const keys = q.keys ?? null
  const keyList = (field: keyof RelationKey) => (keys ? keys.map((k) => k[field]) : null)
  const afterFrom = q.after?.effectiveFrom ?? null
  const { rows } = await sql<RelationRow>`
    with changes as (
      select c.from_entity, c.to_entity, c.kind, c.change, c.effective_from, c.position, c.precision,
             c.summary, c.event_id
        from rm_relations.relation_changes c
       where c.effective_from <= ${q.asOf} and ${knownBy('c', q)} and c.status is null
         and (${subject}::text is null or c.from_entity = ${subject} or c.to_entity = ${subject})
         and (${kinds}::text[] is null or c.kind = any(${kinds}::text[]))
         and (${keys === null} or (c.from_entity, c.kind, c.to_entity) in (
               select * from unnest(${keyList('from')}::text[], ${keyList('kind')}::text[], ${keyList('to')}::text[])))
    ),
    later as (
      select c.*,
             count(*) filter (where c.change = 'ended') over (
               partition by c.from_entity, c.kind, c.to_entity order by c.effective_from desc, c.position desc
               rows between unbounded preceding and current row
             ) as ends_since
        from changes c
    ),
    in_effect as (
      select distinct on (e.from_entity, e.kind, e.to_entity) e.*
        from later e
       where e.change = 'established' and e.ends_since = 0
       order by e.from_entity, e.kind, e.to_entity, e.effective_from, e.position
    )
    select r.from_entity, ${entityName(sql.ref('r.from_entity'), q)} as from_name,
           r.to_entity, ${entityName(sql.ref('r.to_entity'), q)} as to_name,
           r.kind, r.effective_from, r.precision, r.summary, r.event_id, r.position
      from in_effect r
     where (${afterFrom}::timestamptz is null
            or (r.effective_from, r.position) > (${afterFrom}, ${q.after?.position ?? 0}))
     order by r.effective_from, r.position
     limit ${q.limit ?? null}
  `.execute(db)
  return rows
}

export function relationOf(r: RelationRow): RelationInEffect {
  return {
    from: r.from_entity,
    fromName: r.from_name,
    to: r.to_entity,
    toName: r.to_name,
    kind: r.kind,
    since: r.effective_from.toISOString(),
    precision: r.precision,
    summary: r.summary,
    eventId: r.event_id,
  }
}

/** Every relation in effect, in valid-time order of `since`. */
export async function relationsAsOf<DB>(db: Kysely<DB>, q: RelationsQuery): Promise<RelationInEffect[]> {
  return (await relationRows(db, q)).map(relationOf)
}

/** The same relations, a page of `limit` after `after`. */
export async function relationsPage<DB>(
  db: Kysely<DB>,
  q: RelationsQuery & { readonly limit: number },
): Promise<RelationsPage> {
  const rows = await relationRows(db, q)
  const last = rows.at(-1)
  return {
    relations: rows.map(relationOf),
    last: last ? { effectiveFrom: last.effective_from.toISOString(), position: Number(last.position) } : null,
  }
}
