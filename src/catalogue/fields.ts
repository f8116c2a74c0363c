import { type TLiteral, type TUnion, Type } from 'typebox'
import { marketDateDescription } from '../time/market-date.js'

/** Schemas shared by the event vocabulary and the HTTP envelope. */

export const Slug = Type.String({
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$',
  description: 'Lowercase ASCII slug: letters, digits and inner hyphens (qwen-long, alibaba-cloud).',
  examples: ['qwen-long'],
})

/**
 * The largest log position (or delivery sequence number) accepted. They are PostgreSQL bigints,
 * read back as JS numbers (src/db/connect.ts), so exact only up to 2^53 - 1: a larger one names
 * nothing that can exist, and past 2^63 - 1 it would fail inside the query instead of naming its field.
 */
export const maxPosition = Number.MAX_SAFE_INTEGER

/** A stream version is a PostgreSQL integer (2^31 - 1 at most). */
export const maxVersion = 2_147_483_647

export const Slugs = Type.Array(Slug, { maxItems: 500, uniqueItems: true })

/** A decimal as a string, never a binary float: "0.0005", "0", "300000000". */
export const Decimal = Type.String({
  pattern: '^-?(0|[1-9][0-9]{0,29})(\\.[0-9]{1,18})?$',
  description: 'A decimal number written as a string ("0.0005", "0" for free, "300000000").',
  examples: ['0.0005'],
})

export const NonNegativeDecimal = Type.String({
  pattern: '^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,18})?$',
  description: 'A non-negative decimal number written as a string ("0.0005", "0" for free).',
  examples: ['0.0005'],
})

export const Currency = Type.String({
  pattern: '^[A-Z]{3}$',
  description: 'ISO 4217 code',
  examples: ['CNY'],
})

export const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) })

export const Qualifier = Type.Union([Type.Literal('exact'), Type.Literal('over'), Type.Literal('about')], {
  description: 'exact, over (超过) or about (约)',
})

/** Validated by the `market-date` format (src/catalogue/validation.ts), which rejects impossible dates. */
export const MarketDateString = Type.String({
  format: 'market-date',
  maxLength: 40,
  description: marketDateDescription,
  examples: ['2024-05', '2024-05-21', '2024-05-21T10:00:00+08:00'],
})

/** The scheme, any case: a source is linked to, so `javascript:`, `data:` or `file:` may not be one. */
export const webAddressPattern = '^[Hh][Tt][Tt][Pp][Ss]?://'

export const WebAddress = Type.String({
  format: 'uri',
  maxLength: 2000,
  pattern: webAddressPattern,
  description: 'An http or https URL.',
})

/** A JSON pointer (RFC 6901) into an event: "/occurredAt", "/data/name", "/data/members/0". */
export const JsonPointer = Type.String({
  pattern: '^(/([^~/]|~[01])*)+$',
  maxLength: 200,
  description: 'A JSON pointer (RFC 6901) into the event, e.g. "/occurredAt" or "/data/name".',
  examples: ['/occurredAt'],
})

export const Source = Type.Object(
  {
    publisher: Text(200),
    title: Type.Optional(Text(500)),
    author: Type.Optional(Text(200)),
    publishedAt: Type.Optional(MarketDateString),
    url: Type.Optional(WebAddress),
    quote: Type.Optional(Text(4000, 'The sentence the fact comes from.')),
    note: Type.Optional(Text(2000, 'How the fact was read from the source.')),
    assumed: Type.Optional(
      Type.Array(JsonPointer, {
        minItems: 1,
        maxItems: 50,
        uniqueItems: true,
        description:
          'The values of this event that the source does not state, as JSON pointers into the event ' +
          '("/occurredAt", "/source/publishedAt", "/data/name"): a date or name taken from elsewhere or ' +
          'inferred. `note` says where each comes from. Absent: every value is as the source states it.',
        examples: [['/occurredAt', '/source/publishedAt']],
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Where the fact comes from. `assumed` lists, as JSON pointers, the values of the event the source does not state.',
  },
)

/**
 * How far a fact is from being in effect: `planned` (intended, 计划), `announced` (made public, not
 * yet in effect). Absent, the fact is in effect from its `occurredAt`. Neither ever changes an
 * in-effect answer; both are shown as such wherever the fact appears.
 */
export const factStatuses = ['planned', 'announced'] as const

export type FactStatus = (typeof factStatuses)[number]

type LiteralsOf<Values extends readonly string[]> = { -readonly [K in keyof Values]: TLiteral<Values[K]> }

/**
 * One of `values`: a union of literals. The cast keeps the tuple's literal types, which a mapped
 * array loses, so that the type's data reads as `'input' | 'output' | …`.
 */
/** The optional `status` of a fact that can be planned or announced before it takes effect. */
export const Status = () =>
  Type.Optional(
    Type.Union(
      factStatuses.map((value) => Type.Literal(value)),
      {
        description:
          'planned (intended, not in effect) or announced (made public, not yet in effect); absent: in effect. Such a fact never changes an in-effect answer.',
      },
    ) as TUnion<LiteralsOf<typeof factStatuses>>,
  )

export function LiteralUnion<const Values extends readonly string[]>(
  values: Values,
): TUnion<LiteralsOf<Values>> {
  return Type.Union(values.map((value) => Type.Literal(value))) as TUnion<LiteralsOf<Values>>
}
