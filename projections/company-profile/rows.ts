import type { ChangePoint } from '../../src/projector/change-points.js'
import type { CompanyPlanRow } from './plans.js'

/**
 * What a company owns and whom it deals with, as change points: its products (launched, or
 * registered with it as owner) and its partnerships and stakes, a stake seen from both sides.
 * Funding and alliances are read from their own read models.
 */
export interface CompanyProductRow extends ChangePoint {
  company: string
  product: string
  name: string
  local_name: string | null
  category: string | null
  /** The launch's effective time; null for a registration, which gives no launch date. */
  launched_at: string | null
}

export type RelationKind = 'partnership' | 'stake-held' | 'stake-received'

export interface CompanyRelationRow extends ChangePoint {
  company: string
  kind: RelationKind
  /** The other side of a stake. */
  counterpart: string | null
  /** Every party of a partnership, the company included. */
  parties: string[] | null
  name: string | null
  summary: string | null
}

export interface Tables {
  company_products: CompanyProductRow
  company_relations: CompanyRelationRow
  company_plans: CompanyPlanRow
}
