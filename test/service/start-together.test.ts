import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { type ServiceProcess, startService, startUpRoomMs } from '../support/process.js'

const databases: TestDatabase[] = []
const services: ServiceProcess[] = []
afterAll(async () => {
  for (const service of services) await service.stop('SIGKILL').catch(() => {})
  for (const database of databases) await database.drop()
})

/** Ends when the process says it is up, or has exited: whichever comes first, at most `startUpRoomMs`. */
async function outcome(service: ServiceProcess, up: string): Promise<string> {
  const deadline = Date.now() + startUpRoomMs
  while (Date.now() < deadline) {
    if (service.output().includes(up)) return 'up'
    if (service.child.exitCode !== null) return `exited ${service.child.exitCode}: ${service.output().trim()}`
    await sleep(100)
  }
  return `not up within ${startUpRoomMs} ms`
}

describe('processes started at the same moment on a new database', () => {
  it('all come up: setting up the job queue and the projections takes turns, never deadlocks', {
    timeout: 4 * startUpRoomMs,
  }, async () => {
    // Each round is a database no process has set up yet (no job queue schema), as on a first deploy.
    for (let round = 0; round < 3; round++) {
      const database = await createTestDatabase()
      databases.push(database)
      const env = { DATABASE_URL: database.url, SEED_ON_START: 'false', LOG_LEVEL: 'info' }
      const started = await Promise.all([
        startService(env, ['worker']),
        startService(env, ['api']),
        startService(env, ['worker']),
        startService(env, ['api']),
      ])
      services.push(...started)
      const outcomes = await Promise.all(
        started.map((service, i) =>
          outcome(service, i % 2 === 0 ? 'worker started' : 'Market Timeline listening'),
        ),
      )
      expect(outcomes).toEqual(['up', 'up', 'up', 'up'])
      for (const service of started) await service.stop('SIGTERM')
    }
  })
})
