/** When each event was retracted: the timeline reads everything else from the log itself. */
export interface RetractionRow {
  event_id: string
  retracted_at: Date | string
  retraction_reported_at: Date | string
}

export interface Tables {
  retractions: RetractionRow
}
