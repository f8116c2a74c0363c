import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ServiceProcess {
  readonly child: ChildProcess
  readonly baseUrl: string
  output(): string
  /** Sends a signal and waits (bounded) for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>
}

/**
 * What a child process inherits from the test run: how to find programs, files and the locale,
 * never the service's own settings (a developer's SEED_ON_START, READ_ACCESS, WEBHOOK_* or
 * DATABASE_URL would change what the test sees). Everything else it gets is what the test passes.
 */
const inherited = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'NODE_OPTIONS'] as const

function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    inherited.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])),
  )
  return { ...base, LOG_LEVEL: 'info', ...env }
}

const loopbackOnly = new URL('./loopback-only.mjs', import.meta.url).href

/** Runs a TypeScript entry point of this project as a real child process, the way npm scripts do. */
export function runScript(script: string, env: NodeJS.ProcessEnv, args: string[] = []): ChildProcess {
  // Loopback only in the child as in the tests (test/support/loopback-only.mjs).
  return spawn(process.execPath, ['--import', 'tsx', '--import', loopbackOnly, script, ...args], {
    env: childEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs a script to its end; its exit code and everything it printed. */
export async function runToEnd(
  script: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ code: number | null; out: string }> {
  const child = runScript(script, env, args)
  let out = ''
  child.stdout?.on('data', (chunk) => {
    out += chunk
  })
  child.stderr?.on('data', (chunk) => {
    out += chunk
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, out }
}

export async function startService(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServiceProcess> {
  const port = await freePort()
  const child = runScript('src/main.ts', { PORT: String(port), HOST: '127.0.0.1', ...env }, args)
  let log = ''
  child.stdout?.on('data', (chunk) => {
    log += chunk
  })
  child.stderr?.on('data', (chunk) => {
    log += chunk
  })
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => log,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode
      child.kill(signal)
      const exited = once(child, 'exit').then(([code]) => code as number | null)
      const timedOut = sleep(timeoutMs).then(() => 'timeout' as const)
      const result = await Promise.race([exited, timedOut])
      if (result === 'timeout') {
        child.kill('SIGKILL')
        throw new Error(`process did not exit within ${timeoutMs} ms of ${signal}\n${log}`)
      }
      return result
    },
  }
}

/**
 * How long a started service may take to answer `/ready`: TypeScript is compiled at start, and on
 * two busy cores that alone can take most of a minute.
 */
export const startUpRoomMs = 90_000

/** Polls `url` until it answers 200, at most `timeoutMs`. Returns the milliseconds it took. */
export async function waitForOk(url: string, timeoutMs: number, started = Date.now()): Promise<number> {
  while (Date.now() - started < timeoutMs) {
    const ok = await fetch(url)
      .then((res) => res.ok)
      .catch(() => false)
    if (ok) return Date.now() - started
    await sleep(100)
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
