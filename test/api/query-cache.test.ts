import { describe, expect, it } from 'vitest'
import { cacheable, cacheKeyOf } from '../../src/api/query-cache.js'

const at = (iso: string) => ({ asOf: new Date(iso), knownAt: new Date(iso) })

describe('which answers the answer cache may keep', () => {
  it('never keeps a read-your-writes answer', () => {
    expect(cacheable('always', { consistentWith: 5 })).toBe(false)
    expect(cacheable('when-asOf-given', { asOf: '2024', consistentWith: 5 })).toBe(false)
  })

  it('keeps an as-of answer only when asOf pins the valid time', () => {
    expect(cacheable('when-asOf-given', {})).toBe(false)
    expect(cacheable('when-asOf-given', { knownAt: '2024' })).toBe(false)
    expect(cacheable('when-asOf-given', { asOf: '2024' })).toBe(true)
  })

  it('keeps an answer that takes no asOf whatever the point in time', () => {
    expect(cacheable('always', {})).toBe(true)
    expect(cacheable('always', { knownAt: '2024' })).toBe(true)
  })
})

describe('the key an answer is kept under', () => {
  it('is the same for a defaulted knownAt at any moment: the latest the read models know', () => {
    const endOf2024 = new Date('2024-12-31T23:59:59.999Z')
    const asked = (now: string) => ({ asOf: endOf2024, knownAt: new Date(now) })
    const first = cacheKeyOf('getPriceList', {}, { asOf: '2024' }, asked('2025-01-01T00:00:00Z'))
    const later = cacheKeyOf('getPriceList', {}, { asOf: '2024' }, asked('2025-06-01T00:00:00Z'))
    expect(first).toBe(later)
  })

  it('differs by operation, parameters, filters and point in time', () => {
    const now = at('2024-12-31T23:59:59.999Z')
    const keys = [
      cacheKeyOf('getPriceList', {}, { asOf: '2024' }, now),
      cacheKeyOf('listAlliances', {}, { asOf: '2024' }, now),
      cacheKeyOf('getAlliance', { alliance: 'a' }, { asOf: '2024' }, now),
      cacheKeyOf('getAlliance', { alliance: 'b' }, { asOf: '2024' }, now),
      cacheKeyOf('getPriceList', {}, { asOf: '2024', knownAt: '2024' }, now),
      cacheKeyOf('getPriceList', {}, { asOf: '2023' }, at('2023-12-31T23:59:59.999Z')),
      cacheKeyOf('getTimeline', {}, { subject: 'x' }, now),
      cacheKeyOf('getTimeline', {}, { subject: 'y' }, now),
    ]
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('does not depend on the order of the query string', () => {
    const now = at('2024-12-31T23:59:59.999Z')
    expect(cacheKeyOf('getTimeline', {}, { from: '2024', subject: 'x' }, now)).toBe(
      cacheKeyOf('getTimeline', {}, { subject: 'x', from: '2024' }, now),
    )
  })
})
