import cliProgress from 'cli-progress'
import type { ReplayProgress } from '../reports/replay.js'

export interface ProgressDisplay {
  update(progress: ReplayProgress): void
  stop(): void
}

const PLAIN_EVERY_MS = 1000

/**
 * Progress of a replay (or an import: `verb`) on standard error: a bar on a terminal; plain lines otherwise (a log or
 * a pipe), at most one a second, and always the first and the last.
 */
export function progressDisplay(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  verb = 'replayed',
): ProgressDisplay {
  return stream.isTTY ? barDisplay(label, stream) : lineDisplay(label, stream, verb)
}

function barDisplay(label: string, stream: NodeJS.WriteStream): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update({ replayed, total }) {
      if (!started) bar.start(total, replayed)
      else bar.update(replayed)
      started = true
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

function lineDisplay(label: string, stream: NodeJS.WriteStream, verb: string): ProgressDisplay {
  const started = Date.now()
  let last: ReplayProgress | undefined
  let printedAt = 0
  const count = (n: number) => n.toLocaleString('en-US')
  return {
    update(progress) {
      const now = Date.now()
      if (last && progress.replayed < progress.total && now - printedAt < PLAIN_EVERY_MS) {
        last = progress
        return
      }
      const percent = progress.total ? Math.floor((100 * progress.replayed) / progress.total) : 100
      stream.write(
        `${label}: ${count(progress.replayed)} of ${count(progress.total)} events ${verb} (${percent}%)\n`,
      )
      last = progress
      printedAt = now
    },
    stop() {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      stream.write(`${label}: done, ${count(last?.replayed ?? 0)} events in ${seconds} s\n`)
    },
  }
}
