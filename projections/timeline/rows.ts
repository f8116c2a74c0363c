import type { ChangePoint } from '../../src/projector/change-points.js'

/** Every event in valid-time order, as it was known at any time; summaries are written at query time. */
export interface TimelineRow extends ChangePoint {
  type: string
  subject: string
  occurred_at: string
  precision: string
  data: unknown
  source: unknown
}

export interface Tables {
  timeline: TimelineRow
}
