import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordedEvent } from '../src/catalogue/event-type.js'
import { startTestApp, type TestApp } from './support/app.js'
import { priceChange } from './support/events.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('the log under concurrent writers', () => {
  it('gives a reader following it every acknowledged event exactly once, in position order', async () => {
    const writers = 8
    const batchesPerWriter = 40
    const acknowledged: string[] = []
    let writing = true

    const write = async (writer: number) => {
      for (let batch = 0; batch < batchesPerWriter; batch++) {
        const size = 1 + ((writer + batch) % 5)
        const events = Array.from({ length: size }, (_, i) =>
          // Writers share some subjects and not others, as real clients do.
          priceChange(`product-${(writer * 7 + batch + i) % 12}`, String(writer * 1000 + batch)),
        )
        const result = await t.store.append(events)
        acknowledged.push(...result.events.map((e) => e.id))
      }
    }

    const seen: RecordedEvent[] = []
    const follow = async () => {
      let checkpoint = 0
      // Bounded: stops once the writers are done and the log is drained, or after 60 s.
      const deadline = Date.now() + 60_000
      while (Date.now() < deadline) {
        const page = await t.store.readLogAfter(checkpoint, 37)
        for (const event of page) {
          expect(event.position).toBeGreaterThan(checkpoint)
          checkpoint = event.position
          seen.push(event)
        }
        if (page.length === 0) {
          if (!writing) return
          await sleep(1)
        }
      }
    }

    const reader = follow()
    await Promise.all(Array.from({ length: writers }, (_, w) => write(w)))
    writing = false
    await reader

    const seenIds = seen.map((e) => e.id)
    expect(new Set(seenIds).size).toBe(seenIds.length)
    expect(new Set(seenIds)).toEqual(new Set(acknowledged))
    expect(seenIds).toHaveLength(acknowledged.length)
  })

  it('gives every subject gap-free versions 1..n', async () => {
    const versions = new Map<string, number[]>()
    for await (const event of t.store.stream({})) {
      versions.set(event.subject, [...(versions.get(event.subject) ?? []), event.version])
    }
    for (const list of versions.values()) {
      expect(list).toEqual(list.map((_, i) => i + 1))
    }
  })

  it('never shows a later position while an earlier append is still uncommitted', async () => {
    const slow = new pg.Client({ connectionString: t.database.url })
    await slow.connect()
    try {
      const head = await t.store.headPosition()
      // An append that has drawn its positions but not yet committed.
      await slow.query('begin')
      const batch = [
        {
          idx: 0,
          id: crypto.randomUUID(),
          type: 'price.changed',
          schema_version: 1,
          subject: 'slow',
          occurred_at: '2024',
          precision: 'year',
          effective_from: '2024-01-01T00:00:00Z',
          data: { component: 'input', amount: '1', currency: 'CNY', unit: '1K tokens' },
          source: null,
          expected_version: null,
        },
      ]
      await slow.query('select * from mt_append_events($1::jsonb)', [JSON.stringify(batch)])

      // A second writer starts meanwhile; it must wait rather than commit a later position first.
      let fastDone = false
      const fast = t.store.append([priceChange('fast', '2')]).then((result) => {
        fastDone = true
        return result
      })
      await sleep(300)
      expect(fastDone).toBe(false)
      expect(await t.store.readLogAfter(head, 10)).toEqual([])

      await slow.query('commit')
      const fastEvent = (await fast).events[0] as RecordedEvent
      const visible = await t.store.readLogAfter(head, 10)
      expect(visible.map((e) => e.subject)).toEqual(['slow', 'fast'])
      expect(fastEvent.position).toBeGreaterThan(visible[0]?.position ?? Number.POSITIVE_INFINITY)
    } finally {
      await slow.end()
    }
  })
})
