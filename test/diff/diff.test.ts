import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { Change } from '../../src/diff/schemas.js'
import { startTestApp, type TestApp } from '../support/app.js'
import { registration } from '../support/events.js'
import { pauseAndNoteTime, smallMarket } from '../support/small-market.js'

/**
 * GET /v1/diff on a small market like the example one (smallMarket, test/support/small-market.ts):
 * a price cut between April and June (valid time), and in a later batch a restated figure, a
 * late-recorded price and a retracted relation (knowledge).
 */
let t: TestApp
const market = smallMarket('dt', () => t.store, { source: { publisher: 'Test Daily' } })
const { append, fact, ids, retraction } = market
/** Between the two batches: what was known before the corrections. */
let beforeCorrections = ''

beforeAll(async () => {
  t = await startTestApp({ worker: true })
  beforeCorrections = await market.appendWithCorrections('2024-02')
}, 60_000)
afterAll(() => t.close())

interface DiffAnswer {
  from: { asOf: string; knownAt: string }
  to: { asOf: string; knownAt: string }
  reportedBy?: string
  changes: Change[]
}

async function diff(query: string): Promise<DiffAnswer> {
  const res = await t.inject(`/v1/diff?${query}&consistentWith=${market.head}`)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const summary = (changes: readonly Change[]) =>
  changes.map((c) => [c.model, Object.values(c.key).join(' '), c.change, c.cause])

describe('GET /v1/diff', () => {
  it('a price cut between two dates, with nothing learned in between, is a valid-time change', async () => {
    const known = `fromKnownAt=${beforeCorrections}&toKnownAt=${beforeCorrections}`
    const answer = await diff(`fromAsOf=2024-04&toAsOf=2024-06&${known}`)
    expect(summary(answer.changes)).toEqual([
      ['price', 'dt-long input', 'changed', 'valid-time'],
      ['alliance-member', 'dt-alliance dt-bot', 'added', 'valid-time'],
    ])
    const [price, member] = answer.changes
    expect(price?.before).toMatchObject({ amount: '0.02', eventId: ids.priceMarch })
    expect(price?.after).toMatchObject({ amount: '0.0005', eventId: ids.priceCut })
    expect(price?.eventIds).toEqual([ids.priceMarch, ids.priceCut])
    expect(member?.before).toBeNull()
    expect(member?.after).toEqual({
      alliance: 'dt-alliance',
      member: 'dt-bot',
      name: 'DT Bot',
      since: '2024-05-01T00:00:00.000Z',
    })
    expect(member?.eventIds).toEqual([ids.joined])
    expect(answer.from.knownAt).toBe(beforeCorrections)
  })

  it('a restated figure, a late price and a retraction between two knownAt are knowledge changes', async () => {
    const answer = await diff(`fromAsOf=2024-06&toAsOf=2024-06&fromKnownAt=${beforeCorrections}`)
    expect(summary(answer.changes)).toEqual([
      ['price', 'dt-long output', 'added', 'knowledge'],
      ['relation', 'dt-long dt-base built-on', 'removed', 'knowledge'],
      ['metric', 'dt-cloud enterprise-customers 2024', 'changed', 'knowledge'],
    ])
    const [price, relation, metric] = answer.changes
    expect(price?.eventIds).toEqual([ids.latePrice])
    expect(relation?.before).toMatchObject({ from: 'dt-long', to: 'dt-base', kind: 'built-on' })
    expect(relation?.after).toBeNull()
    expect(relation?.eventIds).toEqual([ids.builtOn, ids.retraction])
    expect([metric?.before, metric?.after]).toMatchObject([{ value: '100' }, { value: '120' }])
    expect(metric?.eventIds).toEqual([ids.customers, ids.restated])
  })

  it('tells the two causes apart when both axes move, in the order of models then keys', async () => {
    const answer = await diff(`fromAsOf=2024-04&toAsOf=2024-06&fromKnownAt=${beforeCorrections}`)
    expect(summary(answer.changes)).toEqual([
      ['price', 'dt-long input', 'changed', 'valid-time'],
      ['price', 'dt-long output', 'added', 'knowledge'],
      ['alliance-member', 'dt-alliance dt-bot', 'added', 'valid-time'],
      ['relation', 'dt-long dt-base built-on', 'removed', 'knowledge'],
      ['metric', 'dt-cloud enterprise-customers 2024', 'changed', 'knowledge'],
    ])
  })

  it('from before anything happened, every row of every model is added', async () => {
    const answer = await diff('fromAsOf=2023&toAsOf=2024-06')
    expect(new Set(answer.changes.map((c) => c.model))).toEqual(
      new Set(['price', 'alliance', 'alliance-member', 'funding-round', 'valuation', 'product', 'metric']),
    )
    expect(answer.changes.every((c) => c.change === 'added' && c.cause === 'valid-time')).toBe(true)
    const product = answer.changes.find((c) => c.model === 'product')
    expect(product?.after).toEqual({
      company: 'dt-cloud',
      product: 'dt-long',
      name: 'DT-Long',
      localName: null,
      category: 'llm',
      since: '2024-01-01T00:00:00.000Z',
    })
    expect(product?.eventIds).toEqual([ids.launch])
    const valuation = answer.changes.find((c) => c.model === 'valuation')
    expect(valuation).toMatchObject({ key: { company: 'dt-cloud' }, eventIds: [ids.round] })
    expect(answer.changes.find((c) => c.model === 'funding-round')?.key).toEqual({
      company: 'dt-cloud',
      eventId: ids.round,
    })
  })

  it('a company, a product or an alliance narrows the diff to what concerns it', async () => {
    const span = `fromAsOf=2024-04&toAsOf=2024-06&fromKnownAt=${beforeCorrections}`
    expect(summary((await diff(`${span}&company=dt-cloud`)).changes)).toEqual([
      ['price', 'dt-long input', 'changed', 'valid-time'],
      ['price', 'dt-long output', 'added', 'knowledge'],
      ['metric', 'dt-cloud enterprise-customers 2024', 'changed', 'knowledge'],
    ])
    expect(summary((await diff(`${span}&product=dt-long`)).changes)).toEqual([
      ['price', 'dt-long input', 'changed', 'valid-time'],
      ['price', 'dt-long output', 'added', 'knowledge'],
      ['relation', 'dt-long dt-base built-on', 'removed', 'knowledge'],
    ])
    expect(summary((await diff(`${span}&alliance=dt-alliance`)).changes)).toEqual([
      ['alliance-member', 'dt-alliance dt-bot', 'added', 'valid-time'],
    ])
    expect((await diff(`${span}&company=dt-bot`)).changes.map((c) => c.model)).toEqual(['alliance-member'])
  })

  it('answers CSV: one line per change, the key as name=value pairs, rows as JSON', async () => {
    const res = await t.inject(
      `/v1/diff?fromAsOf=2024-04&toAsOf=2024-06&fromKnownAt=${beforeCorrections}&product=dt-long&format=csv&consistentWith=${market.head}`,
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    const lines = res.body.trimEnd().split('\r\n')
    expect(lines[0]).toBe('model,key,change,cause,before,after,eventIds')
    expect(lines).toHaveLength(4)
    expect(lines[2]).toMatch(
      /^price,product=dt-long;component=output,added,knowledge,,"\{""product"":""dt-long""/,
    )
    expect(lines[3]).toMatch(
      new RegExp(
        `^relation,from=dt-long;to=dt-base;kind=built-on,removed,knowledge,".*",,${ids.builtOn} ${ids.retraction}$`,
      ),
    )
  })

  it('echoes reportedBy, one bound for both points, and counts nothing published after it', async () => {
    const answer = await diff('fromAsOf=2023&toAsOf=2024-06&reportedBy=2000')
    expect(answer.reportedBy).toBe('2000-12-31T23:59:59.999Z')
    // Facts without a publication date count from when they were recorded: today, after 2000.
    expect(answer.changes).toEqual([])
  })

  // Last: it adds to the market. A member whose own join lies outside both windows still appears
  // and goes with its alliance's formation: taking effect between the asOf, and retracted
  // between the knownAt.
  it("a member that comes and goes only with its alliance's formation is in the diff", async () => {
    await append([
      fact('earlyJoin', {
        type: 'alliance.member_joined',
        subject: 'dt-late',
        occurredAt: '2024-01',
        data: { member: 'dt-bot' },
      }),
      fact('lateFormed', {
        type: 'alliance.formed',
        subject: 'dt-late',
        occurredAt: '2024-03',
        data: { name: 'DT Late', conveners: ['dt-cloud'], members: ['dt-cloud'] },
      }),
    ])
    const formedBetween = await diff('fromAsOf=2024-02&toAsOf=2024-04&alliance=dt-late')
    expect(summary(formedBetween.changes)).toEqual([
      ['alliance', 'dt-late', 'added', 'valid-time'],
      ['alliance-member', 'dt-late dt-bot', 'added', 'valid-time'],
      ['alliance-member', 'dt-late dt-cloud', 'added', 'valid-time'],
    ])
    const beforeRetraction = await pauseAndNoteTime()
    await append([
      retraction('formationRetracted', {
        of: 'lateFormed',
        subject: 'dt-late',
        reason: 'no such alliance was formed',
      }),
    ])
    const retractedBetween = await diff(
      `fromAsOf=2024-04&toAsOf=2024-04&fromKnownAt=${beforeRetraction}&alliance=dt-late`,
    )
    expect(summary(retractedBetween.changes)).toEqual([
      ['alliance', 'dt-late', 'removed', 'knowledge'],
      ['alliance-member', 'dt-late dt-bot', 'removed', 'knowledge'],
      ['alliance-member', 'dt-late dt-cloud', 'removed', 'knowledge'],
    ])
  })

  it.each([
    ['', '/fromAsOf'],
    ['fromAsOf=2024-13', '/fromAsOf'],
    ['fromAsOf=2024&toKnownAt=yesterday', '/toKnownAt'],
    ['fromAsOf=2024&company=dt-cloud&product=dt-long', '/product'],
    ['fromAsOf=2024&product=dt-long&alliance=dt-alliance', '/alliance'],
    ['fromAsOf=2024&format=xml', '/format'],
    ['fromAsOf=2024&company=Not_A_Slug', '/company'],
    ['fromAsOf=2024&asOf=2024', '/asOf'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await t.inject(`/v1/diff?${query}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(JSON.stringify(res.json())).toContain(field)
  })
})

/**
 * The diff reads only the rows its candidates name: those with a change point in a span (low,
 * high] between the two points. A change that takes effect exactly at the later asOf, or is
 * recorded exactly at the later knownAt, lies on a span's closed end and must be among them, in
 * either order of the points. These facts take effect in 2025, after every date the tests above
 * compare, in a market of their own (dt-edge-*).
 */
describe('GET /v1/diff at the ends of its spans', () => {
  /** The earlier and the later asOf of the valid-time tests: instants, as are the facts' dates. */
  const earlier = '2025-03-01T00:00:00.000Z'
  const later = '2025-03-10T09:30:00.000Z'
  /** Before the facts of the knowledge tests were recorded, and exactly when they were. */
  let beforeRecorded = ''
  let recordedAt = ''
  let recordedAts: string[] = []

  /** A relation, a funding round and an alliance member, all taking effect at `occurredAt`. */
  interface Three {
    readonly name: string
    readonly occurredAt: string
    readonly kind: string
    readonly round: string
    readonly member: string
  }
  const atLater: Three = {
    name: 'atLater',
    occurredAt: later,
    kind: 'invests-in',
    round: 'B',
    member: 'dt-edge',
  }
  const learned: Three = {
    name: 'learned',
    occurredAt: '2025-06-01T08:00:00.000Z',
    kind: 'supplies',
    round: 'C',
    member: 'dt-edge-bot',
  }
  const factsOf = (three: Three): EventInput[] => [
    fact(`${three.name}Relation`, {
      type: 'relation.established',
      subject: 'dt-edge',
      occurredAt: three.occurredAt,
      data: { to: 'dt-edge-ai', kind: three.kind },
    }),
    fact(`${three.name}Round`, {
      type: 'funding.round_closed',
      subject: 'dt-edge',
      occurredAt: three.occurredAt,
      data: { round: three.round, amount: { value: '50000000', currency: 'CNY' }, investors: ['dt-edge-ai'] },
    }),
    fact(`${three.name}Joined`, {
      type: 'alliance.member_joined',
      subject: 'dt-edge-alliance',
      occurredAt: three.occurredAt,
      data: { member: three.member },
    }),
  ]

  /** The diff's changes are exactly the three, each added (or removed) whole, by `cause`. */
  function expectThree(changes: readonly Change[], three: Three, change: 'added' | 'removed', cause: string) {
    const round = ids[`${three.name}Round`]
    expect(summary(changes)).toEqual([
      ['alliance-member', `dt-edge-alliance ${three.member}`, change, cause],
      ['funding-round', `dt-edge ${round}`, change, cause],
      ['relation', `dt-edge dt-edge-ai ${three.kind}`, change, cause],
    ])
    const rows = [
      { alliance: 'dt-edge-alliance', member: three.member, since: three.occurredAt },
      { company: 'dt-edge', round: three.round, eventId: round },
      { from: 'dt-edge', to: 'dt-edge-ai', kind: three.kind },
    ]
    const beforeAfter = rows.map((row) => (change === 'added' ? [null, row] : [row, null]))
    expect(changes.map((c) => [c.before, c.after])).toMatchObject(beforeAfter)
    expect(changes.map((c) => c.eventIds)).toEqual(
      ['Joined', 'Round', 'Relation'].map((made) => [ids[`${three.name}${made}`]]),
    )
  }

  beforeAll(async () => {
    await append([
      registration('dt-edge', 'DT Edge'),
      registration('dt-edge-ai', 'DT Edge AI'),
      registration('dt-edge-bot', 'DT Edge Bot'),
      fact('edgeFormed', {
        type: 'alliance.formed',
        subject: 'dt-edge-alliance',
        occurredAt: '2025-01',
        data: { name: 'DT Edge Alliance', conveners: ['dt-edge-ai'], members: ['dt-edge-ai'] },
      }),
      // In effect at both points: exactly at the earlier asOf, the open end of the span.
      fact('atEarlier', {
        type: 'relation.established',
        subject: 'dt-edge',
        occurredAt: earlier,
        data: { to: 'dt-edge-ai', kind: 'partner-of' },
      }),
      ...factsOf(atLater),
    ])
    beforeRecorded = await pauseAndNoteTime()
    recordedAts = (await append(factsOf(learned))).map((e) => e.recordedAt)
    recordedAt = recordedAts[0] ?? ''
  })

  it('takes in a relation, a round and a member that take effect exactly at the later asOf', async () => {
    const answer = await diff(`fromAsOf=${earlier}&toAsOf=${later}`)
    expect(answer.to.asOf).toBe(later)
    expectThree(answer.changes, atLater, 'added', 'valid-time')
  })

  it('takes them in as removed when A is the later asOf', async () => {
    const answer = await diff(`fromAsOf=${later}&toAsOf=${earlier}`)
    expect(answer.from.asOf).toBe(later)
    expectThree(answer.changes, atLater, 'removed', 'valid-time')
  })

  it('takes in a relation, a round and a member recorded exactly at the later knownAt', async () => {
    // One batch, one recordedAt: the later knownAt is exactly when all three were recorded.
    expect(recordedAts).toEqual([recordedAt, recordedAt, recordedAt])
    const answer = await diff(
      `fromAsOf=2025&toAsOf=2025&fromKnownAt=${beforeRecorded}&toKnownAt=${recordedAt}`,
    )
    expect(answer.to.knownAt).toBe(recordedAt)
    expectThree(answer.changes, learned, 'added', 'knowledge')
  })

  it('takes them in as removed when A is the later knownAt', async () => {
    const answer = await diff(
      `fromAsOf=2025&toAsOf=2025&fromKnownAt=${recordedAt}&toKnownAt=${beforeRecorded}`,
    )
    expect(answer.from.knownAt).toBe(recordedAt)
    expectThree(answer.changes, learned, 'removed', 'knowledge')
  })
})
