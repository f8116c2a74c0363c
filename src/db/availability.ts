/** Connection-level failures: the database is down or restarting, so the work may simply be retried. */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
])

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code
  if (code && unavailableCodes.has(code)) return true
  const message = (error as Error | undefined)?.message ?? ''
  // A hot standby cancels a read that conflicts with the WAL it replays: the same read may simply be retried.
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|conflict with recovery/i.test(
    message,
  )
}
