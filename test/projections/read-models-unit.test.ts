import { describe, expect, it } from 'vitest'
import type { MarketEvent } from '../../events/index.js'
import { allianceRowsOf, membershipChangesOf } from '../../projections/alliance-membership/index.js'
import { companyProductRowsOf, companyRelationRowsOf } from '../../projections/company-profile/index.js'
import { latestValuationOf } from '../../projections/company-profile/read.js'
import { type FundingRound, fundingRoundRowsOf } from '../../projections/funding.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'

/** Row building from events, without a database. */

let position = 0

/** An event as the log hands it to a read model: the catalogue validated it when it was written. */
function recorded(type: string, subject: string, data: unknown, occurredAt = '2024-05-15'): MarketEvent {
  position += 1
  const event: RecordedEvent = {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    type,
    subject,
    occurredAt,
    precision: 'day',
    effectiveFrom: `${occurredAt}T00:00:00.000Z`,
    recordedAt: '2026-01-01T00:00:00.000Z',
    position,
    version: 1,
    data,
  }
  return event as MarketEvent
}

const point = (e: RecordedEvent) => ({
  effective_from: e.effectiveFrom,
  recorded_at: e.recordedAt,
  retracted_at: null,
  position: e.position,
  event_id: e.id,
  reported_at: e.recordedAt,
  retraction_reported_at: null,
})

describe('alliance-membership rows', () => {
  const formed = recorded('alliance.formed', 'smart-device-llm-alliance', {
    name: 'Smart Device Large Model Alliance',
    conveners: ['volcano-engine'],
    members: ['oppo', 'vivo'],
  })

  it('keeps the formation with its conveners', () => {
    expect(allianceRowsOf(formed, 'UTC')).toEqual([
      {
        alliance: 'smart-device-llm-alliance',
        name: 'Smart Device Large Model Alliance',
        local_name: null,
        conveners: ['volcano-engine'],
        summary: null,
        ...point(formed),
      },
    ])
  })

  it('has every founding member join at the formation', () => {
    expect(membershipChangesOf(formed, 'UTC')).toEqual([
      { alliance: 'smart-device-llm-alliance', member: 'oppo', change: 'joined', ...point(formed) },
      { alliance: 'smart-device-llm-alliance', member: 'vivo', change: 'joined', ...point(formed) },
    ])
  })

  it('records joins and departures, and nothing for other events', () => {
    const left = recorded(
      'alliance.member_left',
      'smart-device-llm-alliance',
      { member: 'oppo' },
      '2024-07-01',
    )
    const joined = recorded('alliance.member_joined', 'smart-device-llm-alliance', { member: 'honor' })
    expect(membershipChangesOf(left, 'UTC').map((r) => [r.member, r.change])).toEqual([['oppo', 'left']])
    expect(membershipChangesOf(joined, 'UTC').map((r) => [r.member, r.change])).toEqual([['honor', 'joined']])
    expect(allianceRowsOf(left, 'UTC')).toEqual([])
    expect(
      membershipChangesOf(recorded('stake.acquired', 'baidu', { company: 'zhuhai-biyou' }), 'UTC'),
    ).toEqual([])
  })
})

describe('funding rows', () => {
  it('flattens amount and valuation, and leaves what is unknown null', () => {
    const e = recorded(
      'funding.round_closed',
      '01-ai',
      {
        round: 'undisclosed',
        valuation: { value: '1000000000', currency: 'USD', qualifier: 'over' },
        investors: [],
      },
      '2023-11-01',
    )
    expect(fundingRoundRowsOf(e, 'UTC')).toEqual([
      {
        company: '01-ai',
        round: 'undisclosed',
        amount_value: null,
        amount_currency: null,
        valuation_value: '1000000000',
        valuation_currency: 'USD',
        valuation_qualifier: 'over',
        investors: [],
        occurred_at: '2023-11-01',
        precision: 'day',
        ...point(e),
      },
    ])
    expect(fundingRoundRowsOf(recorded('price.changed', 'qwen-long', {}), 'UTC')).toEqual([])
  })
})

describe('company-profile rows', () => {
  it('dates a launched product and leaves a registered one undated', () => {
    const launched = recorded('product.launched', 'doubao', {
      company: 'bytedance',
      name: 'Doubao',
      category: 'llm',
    })
    const registered = recorded('entity.registered', 'ernie', {
      kind: 'product',
      name: 'ERNIE',
      owner: 'baidu',
    })
    expect(companyProductRowsOf(launched, 'UTC')).toEqual([
      expect.objectContaining({
        company: 'bytedance',
        product: 'doubao',
        launched_at: launched.effectiveFrom,
      }),
    ])
    expect(companyProductRowsOf(registered, 'UTC')).toEqual([
      expect.objectContaining({ company: 'baidu', product: 'ernie', name: 'ERNIE', launched_at: null }),
    ])
  })

  it('ignores registrations that are not owned products', () => {
    expect(
      companyProductRowsOf(recorded('entity.registered', 'baidu', { kind: 'company', name: 'Baidu' }), 'UTC'),
    ).toEqual([])
    expect(
      companyProductRowsOf(recorded('entity.registered', 'x', { kind: 'product', name: 'X' }), 'UTC'),
    ).toEqual([])
  })

  it('gives each party its partnership', () => {
    const e = recorded('partnership.announced', 'kunlun-tech', {
      parties: ['kunlun-tech', 'migu-music'],
      summary: 'Ecosystem partnership',
    })
    const rows = companyRelationRowsOf(e, 'UTC')
    expect(rows.map((r) => [r.company, r.kind])).toEqual([
      ['kunlun-tech', 'partnership'],
      ['migu-music', 'partnership'],
    ])
    expect(rows[0]).toMatchObject({ parties: ['kunlun-tech', 'migu-music'], name: null, counterpart: null })
  })

  it('sees a stake from the investor and from the company', () => {
    const e = recorded('stake.acquired', 'baidu', { company: 'zhuhai-biyou' })
    expect(companyRelationRowsOf(e, 'UTC').map((r) => [r.company, r.kind, r.counterpart])).toEqual([
      ['baidu', 'stake-held', 'zhuhai-biyou'],
      ['zhuhai-biyou', 'stake-received', 'baidu'],
    ])
  })
})

describe('latest valuation', () => {
  const round = (name: string, valuation: FundingRound['valuation']): FundingRound => ({
    company: '01-ai',
    companyName: '01.AI',
    round: name,
    amount: null,
    valuation,
    investors: [],
    occurredAt: '2024',
    precision: 'year',
    effectiveFrom: `2024-01-0${name.length}T00:00:00.000Z`,
    eventId: name,
  })

  it('takes the last round that has a valuation', () => {
    const rounds = [
      round('A', { value: '1', currency: 'USD', qualifier: 'exact' }),
      round('BB', { value: '2', currency: 'USD', qualifier: 'about' }),
      round('CCC', null),
    ]
    expect(latestValuationOf(rounds)).toEqual({
      value: '2',
      currency: 'USD',
      qualifier: 'about',
      round: 'BB',
      effectiveFrom: '2024-01-02T00:00:00.000Z',
      eventId: 'BB',
    })
    expect(latestValuationOf([round('A', null)])).toBeNull()
  })
})
