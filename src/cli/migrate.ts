import { loadConfig } from '../config.js'
import { openDatabase } from '../runtime.js'

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
const runtime = await openDatabase(loadConfig(), () => {})
console.log('migrations applied')
await runtime.close()
