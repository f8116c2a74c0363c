import { catalogue } from '../../events/index.js'
import { loadSeeds } from '../seeding.js'
import { createEventStore } from '../store/event-store.js'
import { commandConfig, openForCommand } from './open.js'

/** `npm run seed [-- DIR]`: loads the seed facts into DATABASE_URL (or the embedded database). Idempotent. */
const config = commandConfig('seed')
const runtime = await openForCommand(config, 'seed')
try {
  const store = createEventStore(runtime.database.db, catalogue, config.marketTz)
  const reports = await loadSeeds(store, catalogue, process.argv[2])
  for (const r of reports) {
    console.log(`${r.file}: ${r.events} events, ${r.appended} new, ${r.events - r.appended} already stored`)
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  if (error && typeof error === 'object' && 'errors' in error)
    console.error(JSON.stringify(error.errors, null, 2))
  process.exitCode = 1
} finally {
  await runtime.close()
}
