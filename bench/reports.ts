import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { sql } from 'kysely'
import type { GeneratedLog } from './projections.js'
import { median } from './support.js'

export interface ReplayRun {
  readonly seconds: number
  readonly eventsReplayed: number
  readonly position: number
  readonly peakRssMb: number
  readonly startRssMb: number
}

export interface ReplayFigures {
  readonly report: 'market-snapshot'
  readonly events: number
  readonly eventsRead: number
  readonly replayEventsPerSec: number
  readonly replayEventsReadPerSec: number
  readonly replayPeakRssMb: number
  readonly replayStartRssMb: number
  readonly runs: readonly ReplayRun[]
}

/**
 * A market-snapshot report replayed from position 0 over the generated log, `runs` times, each
 * in a process of its own (`replay-once.ts`): log events per second and peak RSS, medians.
 */
export async function measureReplay(log: GeneratedLog, runs: number): Promise<ReplayFigures> {
  await sql`vacuum analyze events`.execute(log.db.handle.db)
  const results: ReplayRun[] = []
  for (let i = 0; i < runs; i++) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./replay-once.ts', import.meta.url).pathname, log.db.url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    const [code] = await once(child, 'exit')
    if (code !== 0) throw new Error(`replay run ${i + 1} exited with ${code}`)
    results.push(JSON.parse(out) as ReplayRun)
  }
  const seconds = median(results.map((r) => r.seconds))
  const eventsRead = results[0]?.eventsReplayed ?? 0
  return {
    report: 'market-snapshot',
    events: log.head,
    eventsRead,
    replayEventsPerSec: Math.round(log.head / seconds),
    replayEventsReadPerSec: Math.round(eventsRead / seconds),
    replayPeakRssMb: median(results.map((r) => r.peakRssMb)),
    replayStartRssMb: median(results.map((r) => r.startRssMb)),
    runs: results,
  }
}
