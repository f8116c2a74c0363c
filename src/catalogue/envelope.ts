import { type Static, type TSchema, Type } from 'typebox'
import type { Catalogue } from './catalogue.js'
import { MarketDateString, maxVersion, Slug, Source } from './fields.js'

export const Uuid = Type.String({
  format: 'uuid',
  description: 'UUID',
  examples: ['0b6f4c1e-3d0a-4c55-9d57-1f0c1c7c2a10'],
})

const envelopeFields = {
  id: Type.Optional(Uuid),
  subject: Slug,
  occurredAt: MarketDateString,
  source: Type.Optional(Source),
  expectedVersion: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: maxVersion,
      description:
        "The subject's version before this event (0 = new stream); a mismatch is 409 and stores nothing.",
    }),
  ),
}

/** What a writer sends for one event. `data` is checked against the type's schema. */
export interface EventInput {
  readonly id?: string
  readonly type: string
  readonly subject: string
  readonly occurredAt: string
  readonly data: Record<string, unknown>
  readonly source?: Static<typeof Source>
  readonly expectedVersion?: number
}

/**
 * One branch per event type, chosen by `type` (OpenAPI and Ajv `discriminator`), so a bad
 * event is reported against its own type's schema only: `/events/0/data/amount`, not a list of
 * every type it failed to be.
 */
export function eventInputSchema(catalogue: Catalogue): TSchema {
  const branches = catalogue.types.map((eventType) =>
    Type.Object(
      { ...envelopeFields, type: Type.Literal(eventType.type), data: eventType.schema },
      {
        additionalProperties: false,
        title: eventType.type,
        description: `${eventType.description} Subject: ${eventType.subject}.`,
      },
    ),
  )
  return Type.Unsafe<EventInput>({
    type: 'object',
    required: ['type'],
    properties: { type: Type.String({ description: 'The event type; `data` follows its schema' }) },
    oneOf: branches,
    discriminator: { propertyName: 'type' },
    description: 'An event to append; `data` per the catalogue entry of its `type`.',
  })
}

export function appendRequestSchema(catalogue: Catalogue) {
  return Type.Object(
    {
      events: Type.Array(Type.Unsafe<EventInput>(eventInputSchema(catalogue)), {
        minItems: 1,
        maxItems: 1000,
      }),
    },
    { additionalProperties: false },
  )
}

export const Precision = Type.Union([
  Type.Literal('year'),
  Type.Literal('month'),
  Type.Literal('day'),
  Type.Literal('instant'),
])

/** An event as the service returns it. */
export const RecordedEventSchema = Type.Object(
  {
    id: Uuid,
    type: Type.String({ examples: ['price.changed'] }),
    subject: Slug,
    occurredAt: Type.String({ description: 'Valid time as given', examples: ['2024-05'] }),
    precision: Precision,
    effectiveFrom: Type.String({
      format: 'date-time',
      description: 'First instant of occurredAt in the market time zone',
    }),
    recordedAt: Type.String({ format: 'date-time', description: 'When the service recorded the event' }),
    position: Type.Integer({ minimum: 1, description: 'Global recording order, strictly increasing' }),
    version: Type.Integer({ minimum: 1, description: "1-based position within the subject's stream" }),
    data: Type.Record(Type.String(), Type.Unknown()),
    source: Type.Optional(Source),
  },
  { $id: 'Event', title: 'Event' },
)
