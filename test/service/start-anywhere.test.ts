import { existsSync } from 'node:fs'
import { chown, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  isRoot,
  type PrivateCheckout,
  privateCheckout,
  type RunAs,
  removeRelocatedCluster,
  runNpm,
  thisUser,
  unprivilegedUser,
} from '../support/private-checkout.js'
import { freePort, waitForOk } from '../support/process.js'

const checkouts: PrivateCheckout[] = []
const services: Array<ReturnType<typeof runNpm>> = []
const dataDirs: string[] = []
afterAll(async () => {
  for (const service of services) {
    service.kill('SIGTERM')
    await service.done
  }
  for (const dataDir of dataDirs) await removeRelocatedCluster(dataDir)
  for (const checkout of checkouts) await checkout.remove()
})

/** Every start here initialises a cluster and loads the seeds on 2 busy cores: room to do it. */
const START_MS = 90_000

interface Case {
  readonly user: RunAs
  readonly where: string
  readonly privateDataDir: boolean
}
const cases: Case[] = [
  { user: thisUser, where: 'its default DATA_DIR (.data in the checkout)', privateDataDir: false },
  { user: thisUser, where: 'DATA_DIR set to a 0700 folder', privateDataDir: true },
  // As root, the same for an ordinary user: everything stays in its own folders.
  ...(isRoot ? [{ user: unprivilegedUser(), where: 'its default DATA_DIR', privateDataDir: false }] : []),
]

describe('npm start and the commands beside it', () => {
  it.each(cases)(
    'run as $user.name from a checkout in a 0700 folder, with umask 077 and a private TMPDIR, on $where',
    { timeout: 3 * START_MS },
    async ({ user, privateDataDir }) => {
      const checkout = await privateCheckout(user)
      checkouts.push(checkout)
      const port = await freePort()
      const env: Record<string, string> = { HOME: checkout.home, TMPDIR: checkout.tmp, PORT: String(port) }
      const dataDir = privateDataDir ? path.join(checkout.parent, 'data') : path.join(checkout.app, '.data')
      dataDirs.push(dataDir)
      if (privateDataDir) {
        await mkdir(dataDir, { mode: 0o700 })
        if (user.uid !== undefined && user.gid !== undefined) await chown(dataDir, user.uid, user.gid)
        env.DATA_DIR = dataDir
      }

      const service = runNpm(checkout.app, user, env, ['start'])
      services.push(service)
      await Promise.race([
        waitForOk(`http://127.0.0.1:${port}/ready`, START_MS),
        service.done.then((ended) => {
          throw new Error(
            `npm start ended (${ended.code}) before it was ready:\n${ended.stdout}${ended.stderr}`,
          )
        }),
      ])
      const prices = (await (
        await fetch(`http://127.0.0.1:${port}/v1/prices?asOf=2024-06-30&product=qwen-long`)
      ).json()) as {
        prices: Array<{ amount: string }>
      }
      expect(prices.prices.map((p) => p.amount)).toEqual(['0.0005'])

      // The commands attach to the server that the running service publishes in DATA_DIR.
      const report = await runNpm(checkout.app, user, env, [
        'run',
        '--silent',
        'report',
        '--',
        'price-changes',
        '--from',
        '2024-05',
        '--to',
        '2024-05',
        '--format',
        'csv',
      ]).done
      expect(report.stderr).not.toMatch(/in use|error/i)
      expect(report.code).toBe(0)
      expect(report.stdout).toContain('qwen-long,Qwen-Long')
      const keys = await runNpm(checkout.app, user, env, ['run', '--silent', 'keys', '--', 'list']).done
      expect(keys.code).toBe(0)
      expect(keys.stdout).toContain('bootstrap admin')

      // The service still answers after the commands have gone: they let go, they did not stop it.
      await waitForOk(`http://127.0.0.1:${port}/ready`, 5_000)
      service.kill('SIGINT')
      const stopped = await service.done
      expect(stopped.stdout).toContain('shutting down')
      expect(stopped.stderr).toBe('')
      const published = path.join(dataDir, 'server.json')
      expect(existsSync(published)).toBe(false)
      const location = await readFile(path.join(dataDir, 'postgres.location'), 'utf8').catch(() => undefined)
      const cluster = location ? path.join(location.trim(), 'postgres') : path.join(dataDir, 'postgres')
      expect(existsSync(path.join(cluster, 'postmaster.pid'))).toBe(false)

      // Without a running service, a command starts the embedded server itself and stops it after.
      const alone = await runNpm(checkout.app, user, env, ['run', '--silent', 'keys', '--', 'list']).done
      expect(alone.code).toBe(0)
      expect(alone.stdout).toContain('bootstrap admin')
      expect(existsSync(path.join(cluster, 'postmaster.pid'))).toBe(false)
    },
  )
})
