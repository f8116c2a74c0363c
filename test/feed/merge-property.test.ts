import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import { type FeedCursor, parseFeedId } from '../../src/feed/cursor.js'
import { type FeedMessage, mergeFeedPages } from '../../src/feed/merge.js'

/**
 * The feed's order and ids without a database: the pages are read here as the SQL of
 * src/store/sql/feed.ts and read-log.ts reads them, and a client that drops its connection at any
 * point and resumes from its last id must end up with exactly the feed, in order.
 */

interface Fact {
  readonly event: RecordedEvent
  readonly matches: boolean
}

const ms = (event: RecordedEvent, field: 'recordedAt' | 'effectiveFrom') => Date.parse(event[field])

function history(spec: readonly { gap: number; step: number; ahead: number; matches: boolean }[]): Fact[] {
  let position = 0
  let at = Date.parse('2026-01-01T00:00:00.000Z')
  return spec.map(({ gap, step, ahead, matches }) => {
    position += gap
    at += step
    const event = {
      position,
      recordedAt: new Date(at).toISOString(),
      effectiveFrom: new Date(ahead > 0 ? at + ahead : at - 1000).toISOString(),
    } as RecordedEvent
    return { event, matches }
  })
}

/** Every message the feed holds below a horizon, in the order the feed promises. */
function feedOrder(facts: readonly Fact[], head: number, before: number): string[] {
  const keyed: Array<[number, number, number, string]> = []
  for (const { event, matches } of facts) {
    if (!matches || event.position > head) continue
    keyed.push([ms(event, 'recordedAt'), 0, event.position, `recorded ${event.position}`])
    if (ms(event, 'effectiveFrom') > ms(event, 'recordedAt') && ms(event, 'effectiveFrom') < before)
      keyed.push([ms(event, 'effectiveFrom'), 1, event.position, `effective ${event.position}`])
  }
  keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
  return keyed.map((k) => k[3])
}

function pages(facts: readonly Fact[], cursor: FeedCursor, head: number, before: number, limit: number) {
  const wanted = facts.filter((f) => f.matches).map((f) => f.event)
  const recorded = wanted.filter((e) => e.position > cursor.floor && e.position <= head).slice(0, limit)
  const { last } = cursor
  const after = last.kind === 'effective' ? wanted.find((e) => e.position === last.position) : undefined
  const notices = wanted
    .filter((e) => ms(e, 'effectiveFrom') > ms(e, 'recordedAt') && ms(e, 'effectiveFrom') < before)
    .filter((e) => {
      if (last.kind === 'recorded') return last.at === null || ms(e, 'effectiveFrom') >= last.at.getTime()
      if (!after) throw new Error('resumed after an unknown notice')
      const [f, g] = [ms(e, 'effectiveFrom'), ms(after, 'effectiveFrom')]
      return f > g || (f === g && e.position > after.position)
    })
    .sort((a, b) => ms(a, 'effectiveFrom') - ms(b, 'effectiveFrom') || a.position - b.position)
    .slice(0, limit)
  return {
    recorded,
    recordedComplete: recorded.length < limit,
    notices,
    noticesComplete: notices.length < limit,
    head,
  }
}

/** What the route makes of a Last-Event-ID (src/feed/resume.ts). */
function resumeFrom(id: string, facts: readonly Fact[]): FeedCursor {
  const parsed = parseFeedId(id)
  if (!parsed) throw new Error(`not a feed id: ${id}`)
  if (parsed.notice !== undefined)
    return { floor: parsed.floor, last: { kind: 'effective', position: parsed.notice } }
  const before = facts.filter((f) => f.event.position <= parsed.floor).at(-1)
  const at = before ? new Date(before.event.recordedAt) : null
  return { floor: parsed.floor, last: { kind: 'recorded', position: parsed.floor, at } }
}

describe('the feed order and its ids', () => {
  it('a client dropped at any point and resumed from its last id gets every message once, in order', () => {
    const fact = fc.record({
      gap: fc.integer({ min: 1, max: 3 }),
      step: fc.integer({ min: 0, max: 5 }),
      ahead: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      matches: fc.boolean(),
    })
    fc.assert(
      fc.property(
        fc.array(fact, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ steps: fc.integer({ min: 0, max: 8 }), kept: fc.nat() }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 60 }),
        (spec, limit, dropsGiven, beyond) => {
          const drops = [...dropsGiven]
          const facts = history(spec)
          const last = facts.at(-1)?.event
          const head = last?.position ?? 0
          const before = (last ? ms(last, 'recordedAt') : 0) + beyond
          const received: FeedMessage[] = []
          let cursor = resumeFrom('0', facts)
          let drop = drops.shift()
          let steps = 0
          for (let guard = 0; guard < 1000; guard++) {
            const step = mergeFeedPages(pages(facts, cursor, head, before, limit), cursor)
            cursor = step.cursor
            if (drop && steps++ === drop.steps) {
              // The connection drops with only the first messages of this page delivered.
              received.push(...step.messages.slice(0, drop.kept % (step.messages.length + 1)))
              const id = received.at(-1)?.id
              cursor = resumeFrom(id ?? '0', facts)
              drop = drops.shift()
              steps = 0
              continue
            }
            received.push(...step.messages)
            if (!step.more) break
          }
          expect(received.map((m) => `${m.kind} ${m.event.position}`)).toEqual(feedOrder(facts, head, before))
        },
      ),
      { numRuns: 500 },
    )
  })
})
