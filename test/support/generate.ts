import { createHash } from 'node:crypto'
import type { EventInput } from '../../src/catalogue/envelope.js'

/** A small deterministic PRNG (mulberry32), so generated histories are reproducible from a seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A stable UUID-shaped id from a seed and counter, so regenerated histories have the same ids. */
function idOf(seed: number, n: number): string {
  const h = createHash('sha1').update(`${seed}:${n}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * A market history that looks like the real thing: companies with products, price changes
 * (some back-dated, some with previousAmount), alliances with joins and leaves, funding
 * rounds, partnerships, metrics, relations (established, some planned or announced, ended, and
 * established again), and retractions of earlier events. A few price changes, partnerships,
 * product updates and one alliance's formation are planned or announced.
 */
export function* generateHistory(
  seed: number,
  count: number,
  options: { companies?: number; sources?: boolean } = {},
): Generator<EventInput> {
  const rnd = random(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T
  const companies = Array.from({ length: options.companies ?? 40 }, (_, i) => `company-${i}`)
  const products = companies.flatMap((c, i) =>
    [0, 1, 2].map((k) => ({ slug: `model-${i}-${k}`, company: c })),
  )
  const alliances = Array.from({ length: 8 }, (_, i) => `alliance-${i}`)
  const emitted: Array<{ id: string; subject: string }> = []
  let n = 0
  const date = () => {
    const year = 2020 + Math.floor(rnd() * 5)
    const month = String(1 + Math.floor(rnd() * 12)).padStart(2, '0')
    const day = String(1 + Math.floor(rnd() * 28)).padStart(2, '0')
    return rnd() < 0.3 ? `${year}-${month}` : `${year}-${month}-${day}`
  }
  const make = (
    type: string,
    subject: string,
    data: Record<string, unknown>,
    occurredAt = date(),
  ): EventInput => {
    const id = idOf(seed, n++)
    emitted.push({ id, subject })
    const source = options.sources ? sourceOf(n) : undefined
    return { id, type, subject, occurredAt, data, ...(source ? { source } : {}) }
  }

  for (const c of companies) {
    if (n >= count) return
    yield make(
      'entity.registered',
      c,
      { kind: 'company', name: `Company ${c.slice(8)}`, localName: `公司${c.slice(8)}` },
      '2019',
    )
  }
  for (const p of products) {
    if (n >= count) return
    yield make(
      'product.launched',
      p.slug,
      { company: p.company, name: `Model ${p.slug.slice(6)}`, category: 'llm' },
      '2020',
    )
  }
  const status = () => (rnd() < 0.5 ? 'planned' : 'announced')
  for (const a of alliances) {
    if (n >= count) return
    yield make(
      'alliance.formed',
      a,
      {
        name: `Alliance ${a.slice(9)}`,
        conveners: [pick(companies)],
        members: [pick(companies), pick(companies)].filter((m, i, all) => all.indexOf(m) === i),
        ...(a === alliances.at(-1) ? { status: status() } : {}),
      },
      '2021',
    )
  }
  while (n < count) {
    const roll = rnd()
    if (roll < 0.6) {
      const p = pick(products)
      const amount = (Math.floor(rnd() * 2000) / 10000).toString()
      const data: Record<string, unknown> = {
        component: pick(['input', 'output']),
        amount,
        currency: 'CNY',
        unit: '1K tokens',
      }
      if (rnd() < 0.3) data.previousAmount = (Math.floor(rnd() * 2000) / 10000).toString()
      if (rnd() < 0.05) data.status = status()
      yield make('price.changed', p.slug, data)
    } else if (roll < 0.72) {
      yield make(rnd() < 0.7 ? 'alliance.member_joined' : 'alliance.member_left', pick(alliances), {
        member: pick(companies),
      })
    } else if (roll < 0.8) {
      const data: Record<string, unknown> = {
        round: pick(['A', 'B', 'C', 'strategic']),
        amount: { value: String(Math.floor(rnd() * 1000) * 1_000_000), currency: pick(['USD', 'CNY']) },
        investors: [pick(companies)],
      }
      if (rnd() < 0.5)
        data.valuation = {
          value: String(Math.floor(rnd() * 100) * 100_000_000),
          currency: 'USD',
          qualifier: 'over',
        }
      yield make('funding.round_closed', pick(companies), data)
    } else if (roll < 0.85) {
      const [a, b] = [pick(companies), pick(companies)]
      const planned = rnd() < 0.2 ? { status: status() } : {}
      if (a !== b)
        yield make('partnership.announced', a, { parties: [a, b], summary: 'joint work', ...planned })
    } else if (roll < 0.86) {
      const data = { summary: 'longer context', contextWindowTokens: 128_000 }
      yield make('product.updated', pick(products).slug, rnd() < 0.5 ? { ...data, status: status() } : data)
    } else if (roll < 0.9) {
      const [a, b] = [pick(companies), pick(companies)]
      if (a !== b) yield make('stake.acquired', a, { company: b })
    } else if (roll < 0.935) {
      const from = pick(products)
      const relation = { to: pick(companies), kind: pick(['built-on', 'supplies', 'integrates']) }
      if (rnd() < 0.3) yield make('relation.ended', from.slug, relation)
      else {
        const status = rnd() < 0.2 ? { status: pick(['planned', 'announced']) } : {}
        yield make('relation.established', from.slug, { ...relation, ...status })
      }
    } else if (roll < 0.97) {
      yield make('metric.reported', pick(companies), {
        metric: 'customers',
        value: String(Math.floor(rnd() * 100000)),
      })
    } else {
      const target = pick(emitted.slice(-2000))
      yield make('event.retracted', target.subject, { eventId: target.id, reason: 'corrected' })
    }
  }
}

/**
 * With `sources`: a source for every event but each fifth, published at a year, month, day or
 * instant in 2020–2025, taken from the event's number so that the random sequence, and with it
 * the rest of the history, stays what it is without sources.
 */
function sourceOf(n: number): { publisher: string; publishedAt?: string } | undefined {
  const year = 2020 + ((n * 7) % 6)
  const month = String(1 + ((n * 5) % 12)).padStart(2, '0')
  const day = String(1 + ((n * 3) % 28)).padStart(2, '0')
  const forms = [
    undefined,
    `${year}`,
    `${year}-${month}`,
    `${year}-${month}-${day}`,
    `${year}-${month}-${day}T${String(n % 24).padStart(2, '0')}:30:00+08:00`,
  ]
  const publishedAt = forms[n % forms.length]
  return n % 7 === 6 ? undefined : { publisher: 'Generated', ...(publishedAt ? { publishedAt } : {}) }
}

/** Splits a history into batches for appending. */
export function* batches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = []
  for (const item of items) {
    batch.push(item)
    if (batch.length === size) {
      yield batch
      batch = []
    }
  }
  if (batch.length) yield batch
}
