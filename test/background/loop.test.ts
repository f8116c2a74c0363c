import { afterEach, describe, expect, it } from 'vitest'
import { type Failure, type Loop, type LoopOptions, startLoop } from '../../src/background/loop.js'
import { WakeSignal } from '../../src/background/wake-signal.js'
import { eventually } from '../support/eventually.js'

const unavailable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
const broken = new Error('relation "nowhere" does not exist')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const running: Loop[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((loop) => loop.stop()))
})

function run(options: Partial<LoopOptions> & Pick<LoopOptions, 'step'>) {
  const failures: Array<Failure & { error: unknown }> = []
  const signal = options.signal ?? new WakeSignal()
  const loop = startLoop({
    signal,
    backoff: { firstMs: 10, maxMs: 40 },
    wakeEndsPause: true,
    quietOnceStopped: false,
    failed: (error, failure) => {
      failures.push({ error, ...failure })
    },
    ...options,
  })
  running.push(loop)
  return { loop, signal, failures }
}

/** A step that throws each given error in turn, then rests until woken. */
function failingThen(errors: unknown[], signal: WakeSignal) {
  const turns: number[] = []
  return {
    turns,
    step: async () => {
      turns.push(Date.now())
      const error = errors.shift()
      if (error) throw error
      const mark = signal.mark()
      return { rest: () => signal.wait(60_000, mark) }
    },
  }
}

describe('a background loop', () => {
  it('runs its step again at once while there is work, and rests as the step asks', async () => {
    const signal = new WakeSignal()
    let turns = 0
    run({
      signal,
      step: async () => {
        turns++
        const mark = signal.mark()
        return turns < 5 ? {} : { rest: () => signal.wait(60_000, mark) }
      },
    })
    await eventually('five turns', () => turns >= 5, 5000, 5)
    await sleep(30)
    expect(turns).toBe(5)
  })

  it('wakes from its rest on the signal, and a wake during a turn is not lost', async () => {
    const signal = new WakeSignal()
    let turns = 0
    run({
      signal,
      step: async () => {
        const mark = signal.mark()
        turns++
        if (turns === 1) signal.wake()
        return { rest: () => signal.wait(60_000, mark) }
      },
    })
    await sleep(30)
    expect(turns).toBe(2)
    signal.wake()
    await sleep(30)
    expect(turns).toBe(3)
  })

  it('backs off on failed turns, doubling up to the longest pause, and starts over after a good one', async () => {
    const signal = new WakeSignal()
    const { step, turns } = failingThen([broken, broken, broken, broken], signal)
    const { failures } = run({ signal, step })
    await eventually('a good turn after four failed ones', () => turns.length === 5, 5000, 5)
    expect(failures.map((f) => [f.failures, f.retryInMs, f.unavailable])).toEqual([
      [1, 10, false],
      [2, 20, false],
      [3, 40, false],
      [4, 40, false],
    ])
    const [, second = 0, third = 0] = turns
    expect(third - second).toBeGreaterThanOrEqual(19)
  })

  it('reports recovery once, after the first good turn that follows failed ones', async () => {
    const signal = new WakeSignal()
    const { step } = failingThen([broken, broken], signal)
    let recovered = 0
    run({
      signal,
      step,
      recovered: async () => {
        recovered++
      },
    })
    await eventually('recovery', () => recovered > 0, 5000, 5)
    await sleep(50)
    expect(recovered).toBe(1)
  })

  it('counts an unavailable database as a failed turn, unless told to retry it apart', async () => {
    const counted = new WakeSignal()
    const apart = new WakeSignal()
    const a = run({ signal: counted, step: failingThen([unavailable, unavailable], counted).step })
    const b = run({
      signal: apart,
      step: failingThen([broken, unavailable, unavailable, broken], apart).step,
      unavailableRetryMs: 5,
    })
    await eventually('every failure reported', () => a.failures.length + b.failures.length === 6, 5000, 5)
    expect(a.failures.map((f) => [f.unavailable, f.failures, f.retryInMs])).toEqual([
      [true, 1, 10],
      [true, 2, 20],
    ])
    expect(b.failures.map((f) => [f.unavailable, f.failures, f.retryInMs])).toEqual([
      [false, 1, 10],
      [true, 1, 5],
      [true, 1, 5],
      [false, 2, 20],
    ])
  })

  it('lets a wake end a pause after an error, or only a stop', async () => {
    const woken = new WakeSignal()
    const waiting = new WakeSignal()
    const backoff = { firstMs: 10_000, maxMs: 10_000 }
    const a = failingThen([broken], woken)
    const b = failingThen([broken], waiting)
    run({ signal: woken, step: a.step, backoff, wakeEndsPause: true })
    const { loop } = run({ signal: waiting, step: b.step, backoff, wakeEndsPause: false })
    await sleep(20)
    woken.wake()
    waiting.wake()
    await sleep(20)
    expect(a.turns).toHaveLength(2)
    expect(b.turns).toHaveLength(1)
    const asked = Date.now()
    await loop.stop()
    expect(Date.now() - asked).toBeLessThan(1000)
    expect(b.turns).toHaveLength(1)
  })

  it('stops after the turn under way, running no other', async () => {
    const signal = new WakeSignal()
    let turns = 0
    let finished = 0
    const { loop } = run({
      signal,
      step: async () => {
        turns++
        await sleep(30)
        finished++
        return {}
      },
    })
    await sleep(10)
    await loop.stop()
    expect([turns, finished]).toEqual([1, 1])
  })

  it('ends unreported on an error once stopping, when asked to', async () => {
    for (const quietOnceStopped of [true, false]) {
      const signal = new WakeSignal()
      const { loop, failures } = run({
        signal,
        quietOnceStopped,
        step: async () => {
          await sleep(20)
          throw broken
        },
      })
      await sleep(5)
      await loop.stop()
      expect(failures).toHaveLength(quietOnceStopped ? 0 : 1)
    }
  })
})
