import { setTimeout as sleep } from 'node:timers/promises'
import type { EventInput } from '../../src/catalogue/envelope.js'
import type { RecordedEvent } from '../../src/catalogue/event-type.js'
import type { EventStore } from '../../src/store/event-store.js'
import { registration } from './events.js'

/**
 * A test's market appended in batches through the store, as most API tests build theirs: the
 * facts a test names (their ids, to assert on), the position of the last event appended (for
 * consistentWith), and instants noted between batches (for knownAt).
 */
export interface Batches {
  /** The position of the last event appended; 0 before any. */
  readonly head: number
  /** The id of every fact made by `fact`, by its name. */
  readonly ids: Record<string, string>
  /** The event with a new id, noted in `ids` under `name`, after the defaults given to `batches`. */
  fact(name: string, event: Omit<EventInput, 'id'>): EventInput
  /** A retraction of the fact noted under `of`, made by `fact` under `name` (in 2024-06 unless given). */
  retraction(name: string, retracted: Retracted): EventInput
  append(events: readonly EventInput[]): Promise<readonly RecordedEvent[]>
}

export interface Retracted {
  readonly of: string
  readonly subject: string
  readonly reason: string
  readonly occurredAt?: string
}

/** Batches appended to the store `store()` answers when they are: a test starts its app in beforeAll. */
export function batches(
  store: () => Pick<EventStore, 'append'>,
  defaults: Partial<EventInput> = {},
): Batches {
  let head = 0
  const ids: Record<string, string> = {}
  const fact = (name: string, event: Omit<EventInput, 'id'>): EventInput => {
    const id = crypto.randomUUID()
    ids[name] = id
    return { id, ...defaults, ...event }
  }
  return {
    get head() {
      return head
    },
    ids,
    fact,
    retraction: (name, { of, subject, reason, occurredAt = '2024-06' }) =>
      fact(name, {
        type: 'event.retracted',
        subject,
        occurredAt,
        data: { eventId: ids[of] as string, reason },
      }),
    async append(events) {
      const stored = (await store().append(events)).events
      head = stored.at(-1)?.position ?? head
      return stored
    },
  }
}

/**
 * Lets the clock move past what was just appended, notes the time, and lets it move again: the
 * instant answered lies after everything recorded so far and before whatever is appended next.
 */
export async function pauseAndNoteTime(): Promise<string> {
  await sleep(20)
  const noted = new Date().toISOString()
  await sleep(20)
  return noted
}

/**
 * The small market the diff, history and changes tests are told on, like the article's, with the
 * slugs of one test (`dt` gives dt-cloud, its product dt-long, DT Cloud, DT-Long), appended in
 * batches (those of `batches(store, defaults)`): each of its facts is made by `fact` under its
 * own name, e.g. `ids.priceCut`.
 */
export function smallMarket(
  prefix: string,
  store: () => Pick<EventStore, 'append'>,
  defaults: Partial<EventInput> = {},
) {
  const log = batches(store, defaults)
  const { fact, append } = log
  const slug = (name: string) => `${prefix}-${name}`
  const named = (name: string) => `${prefix.toUpperCase()} ${name}`
  const long = slug('long')
  const price = (name: string, occurredAt: string, component: string, amount: string) =>
    fact(name, {
      type: 'price.changed',
      subject: long,
      occurredAt,
      data: { component, amount, currency: 'CNY', unit: '1K tokens' },
    })
  const customers = (name: string, occurredAt: string, value: string) =>
    fact(name, {
      type: 'metric.reported',
      subject: slug('cloud'),
      occurredAt,
      data: { metric: 'enterprise-customers', value, forPeriod: '2024' },
    })
  const market = {
    /** Companies by name: `registered('Cloud', 'AI')` registers dt-cloud, DT Cloud and dt-ai, DT AI. */
    registered: (...names: string[]): EventInput[] =>
      names.map((name) => registration(slug(name.toLowerCase()), named(name))),
    /** What the product is built on (dt-base for `dt`): a product registered, never launched. */
    baseProduct: (): EventInput =>
      registration(slug('base'), named('Base'), { data: { kind: 'product', name: named('Base') } }),
    launch: (): EventInput =>
      fact('launch', {
        type: 'product.launched',
        subject: long,
        occurredAt: '2024-01',
        data: { company: slug('cloud'), name: `${prefix.toUpperCase()}-Long`, category: 'llm' },
      }),
    /** The product's input price from 2024-03: 0.02. */
    priceMarch: (): EventInput => price('priceMarch', '2024-03', 'input', '0.02'),
    /** Its input price cut from 0.02 to 0.0005 on 2024-05-21; `source` as given. */
    priceCut: (source: Pick<EventInput, 'source'> = {}): EventInput =>
      fact('priceCut', {
        type: 'price.changed',
        subject: long,
        occurredAt: '2024-05-21',
        data: {
          component: 'input',
          amount: '0.0005',
          currency: 'CNY',
          unit: '1K tokens',
          previousAmount: '0.02',
        },
        ...source,
      }),
    /** A round A of the company's with a valuation, its AI the investor. */
    round: (occurredAt: string): EventInput =>
      fact('round', {
        type: 'funding.round_closed',
        subject: slug('cloud'),
        occurredAt,
        data: {
          round: 'A',
          amount: { value: '100000000', currency: 'CNY' },
          valuation: { value: '1000000000', currency: 'CNY', qualifier: 'about' },
          investors: [slug('ai')],
        },
      }),
    /** Its alliance, convened by the company in 2024-01 with these members (`cloud`: dt-cloud). */
    formed: (...members: string[]): EventInput =>
      fact('formed', {
        type: 'alliance.formed',
        subject: slug('alliance'),
        occurredAt: '2024-01',
        data: { name: named('Alliance'), conveners: [slug('cloud')], members: members.map(slug) },
      }),
    joined: (member: string): EventInput =>
      fact('joined', {
        type: 'alliance.member_joined',
        subject: slug('alliance'),
        occurredAt: '2024-05',
        data: { member: slug(member) },
      }),
    /** The company's enterprise customers for 2024 as reported in 2024-03: 100. */
    customers: (): EventInput => customers('customers', '2024-03', '100'),
    builtOn: (): EventInput =>
      fact('builtOn', {
        type: 'relation.established',
        subject: long,
        occurredAt: '2024-02',
        data: { to: slug('base'), kind: 'built-on' },
      }),
    /** The corrections: the customers restated (120), a late-recorded output price. */
    restated: (): EventInput => customers('restated', '2024-04', '120'),
    latePrice: (): EventInput => price('latePrice', '2024-02', 'output', '0.002'),
    /** The built-on relation retracted in 2024-06, under `name`. */
    builtOnRetracted: (name: string, reason: string): EventInput =>
      log.retraction(name, { of: 'builtOn', subject: long, reason }),
  }
  return Object.assign(log, market, {
    /**
     * The diff's market in two batches, answering an instant between them: a price cut between
     * April and June, a round on `roundOccurredAt`, a member joined in May; then the corrections, a
     * figure restated, a price recorded late and the relation retracted.
     */
    async appendWithCorrections(roundOccurredAt: string): Promise<string> {
      await append([
        ...market.registered('Cloud', 'AI', 'Bot'),
        market.baseProduct(),
        market.launch(),
        market.priceMarch(),
        market.priceCut(),
        market.round(roundOccurredAt),
        market.formed('cloud', 'ai'),
        market.joined('bot'),
        market.customers(),
        market.builtOn(),
      ])
      const beforeCorrections = await pauseAndNoteTime()
      await append([
        market.restated(),
        market.latePrice(),
        market.builtOnRetracted('retraction', 'the source said integrates, not built on'),
      ])
      return beforeCorrections
    },
  })
}
