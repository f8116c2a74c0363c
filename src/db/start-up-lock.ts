import pg from 'pg'

/** Taken by every process while it sets up the job queue and the projections' tables. */
const startUpLock = '7388460240563250002'

/**
 * Runs `work` while holding a session advisory lock on a connection of its own (without the
 * pools' statement timeout: waiting for another process's start is not a slow statement). Processes
 * starting at once against one database take turns: pg-boss creating its schema and queues in two
 * of them at the same moment can deadlock (40P01), and a start would fail for no fault of the user.
 */
export async function whileStartingAlone<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'market-timeline-start' })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [startUpLock])
    return await work()
  } finally {
    // Ending the session releases the lock as well.
    await client.end().catch(() => {})
  }
}
