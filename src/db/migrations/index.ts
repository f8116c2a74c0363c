import type { Migration, MigrationProvider } from 'kysely'
import * as eventLog from './001-event-log.js'
import * as projections from './002-projections.js'
import * as apiKeys from './003-api-keys.js'
import * as webhooks from './004-webhooks.js'
import * as leanAppend from './005-lean-append.js'
import * as reportJobs from './006-report-jobs.js'
import * as reportJobCallers from './007-report-job-callers.js'
import * as groupAppend from './008-group-append.js'
import * as retractionTarget from './009-retraction-target.js'
import * as keptHistories from './010-kept-histories.js'

/** Every schema change, in order. Names are permanent once released. */
const migrations: Record<string, Migration> = {
  '001-event-log': eventLog,
  '002-projections': projections,
  '003-api-keys': apiKeys,
  '004-webhooks': webhooks,
  '005-lean-append': leanAppend,
  '006-report-jobs': reportJobs,
  '007-report-job-callers': reportJobCallers,
  '008-group-append': groupAppend,
  '009-retraction-target': retractionTarget,
  '010-kept-histories': keptHistories,
}

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}

export const migrationNames: readonly string[] = Object.keys(migrations)
