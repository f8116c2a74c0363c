/**
 * The NOTIFY channels the processes wake each other on. `events` is sent at every append by a
 * statement trigger on the log (migration 002-projections, whose text keeps its name as it
 * was applied); `readModels` by every applied batch and every switch to a rebuilt generation;
 * `webhookJobs` when deliveries are queued.
 */
export const channels = {
  events: 'mt_events',
  readModels: 'mt_read_models',
  webhookJobs: 'mt_webhook_jobs',
} as const
