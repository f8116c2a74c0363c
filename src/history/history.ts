import type { Kysely } from 'kysely'
import type { EventSource } from '../catalogue/event-type.js'
import type { FactStatus } from '../catalogue/fields.js'
import type { Database } from '../db/schema.js'
import {
  type Comparable,
  type ComparableRow,
  type DiffModel,
  type DiffPoint,
  type DiffScope,
  type SharedReads,
  sharedReads,
} from '../diff/model.js'
import { type SubjectFactRow, selectSubjectFacts } from '../store/sql/subject-facts.js'
import type { Precision } from '../time/market-date.js'
import { modelsStepped, type SubjectFact } from './facts.js'
import type { HistoryChange } from './schemas.js'
import { type HistoryPoint, historyOf, pointsNeeded } from './steps.js'

export interface HistoryRequest {
  readonly subject: string
  readonly knownAt: Date
  readonly reportedBy?: Date | undefined
  /** Bounds of the changes' effectiveFrom, inclusive. */
  readonly from?: Date | undefined
  readonly to?: Date | undefined
  readonly marketTz: string
}

const productTypes = ['price.changed', 'product.launched', 'product.updated']
const allianceTypes = ['alliance.formed', 'alliance.member_joined', 'alliance.member_left']

/**
 * Every change of the subject's rows, in valid-time order: its facts read from the log, then each
 * model's rows read through its comparable at a millisecond before and at every instant a fact
 * took effect, all at once, and compared (steps.ts).
 */
export async function subjectHistory(
  db: Kysely<Database>,
  comparables: readonly Comparable[],
  request: HistoryRequest,
): Promise<HistoryChange[]> {
  const { subject, knownAt, reportedBy } = request
  const rows = await selectSubjectFacts(db, {
    subject,
    knownAt,
    reportedBy,
    effectiveFrom: request.from,
    effectiveTo: request.to,
    marketTz: request.marketTz,
  })
  const facts = rows.map(factOf)
  const scope = scopeOf(subject, facts)
  const models = modelsOf(facts, scope)
  const wanted = comparables.filter((c) => models.includes(c.model))
  const points = pointsNeeded(facts, knownAt).map((point) => ({ ...point, reportedBy }))
  // By model, then knownAt, then asOf (milliseconds): the fold asks for thousands of points.
  const read = new Map<DiffModel, Map<number, Map<number, readonly ComparableRow[]>>>()
  const shared = sharedReads()
  await Promise.all(
    wanted.map(async (c) => {
      const rows = await rowsAtEach(db, c, points, scope, shared)
      const ofModel = new Map<number, Map<number, readonly ComparableRow[]>>()
      read.set(c.model, ofModel)
      for (const [i, r] of rows.entries()) {
        const { asOf, knownAt } = points[i] as DiffPoint
        const ofKnowledge = ofModel.get(knownAt.getTime()) ?? new Map<number, readonly ComparableRow[]>()
        ofModel.set(knownAt.getTime(), ofKnowledge.set(asOf.getTime(), r))
      }
    }),
  )
  const rowsAt = (point: HistoryPoint, model: DiffModel) =>
    read.get(model)?.get(point.knownAt.getTime())?.get(point.asOf.getTime()) ?? []
  return historyOf(subject, facts, models, rowsAt, knownAt)
}

/** A model's rows at every point: at once where the model batches the scope, else point by point. */
async function rowsAtEach(
  db: Kysely<Database>,
  comparable: Comparable,
  points: readonly DiffPoint[],
  scope: DiffScope,
  shared: SharedReads,
): Promise<readonly ComparableRow[][]> {
  if (points.length === 0) return []
  const batched = await comparable.rowsAtPoints?.(db, points, scope, shared)
  return batched ?? Promise.all(points.map((point) => comparable.rowsAt(db, point, scope)))
}

/** A product's rows are its prices, its figures and itself; an alliance's its members; else a company's. */
function scopeOf(subject: string, facts: readonly SubjectFact[]): DiffScope {
  const kinds = facts.filter((f) => f.type === 'entity.registered').map((f) => f.data.kind)
  if (facts.some((f) => productTypes.includes(f.type)) || kinds.includes('product'))
    return { product: subject }
  if (facts.some((f) => allianceTypes.includes(f.type)) || kinds.includes('alliance'))
    return { alliance: subject }
  return { company: subject }
}

/** The models the subject's facts can step; a registration steps rows only of a product. */
function modelsOf(facts: readonly SubjectFact[], scope: DiffScope): DiffModel[] {
  const types = new Set(facts.map((f) => f.type))
  if (scope.product === undefined) types.delete('entity.registered')
  return [...new Set([...types].flatMap(modelsStepped))]
}

function factOf(row: SubjectFactRow): SubjectFact {
  const data = (row.data ?? {}) as Record<string, unknown>
  const status = data.status === 'planned' || data.status === 'announced' ? (data.status as FactStatus) : null
  return {
    id: row.id,
    type: row.type,
    precision: row.precision as Precision,
    effectiveFrom: row.effective_from,
    recordedAt: row.recorded_at,
    position: Number(row.position),
    data,
    source: (row.source ?? null) as EventSource | null,
    status,
    retracted:
      row.retraction_id && row.retraction_recorded_at
        ? { at: row.retraction_recorded_at, reason: row.retraction_reason ?? '', eventId: row.retraction_id }
        : null,
  }
}
