import { commandConfig, openForCommand } from './open.js'

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
const runtime = await openForCommand(commandConfig('migrate'), 'migrate')
console.log('migrations applied')
await runtime.close()
