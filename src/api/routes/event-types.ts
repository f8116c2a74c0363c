import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import type { EventType } from '../../catalogue/event-type.js'
import type { TypedApp } from '../typed-app.js'

export interface EventTypeRoutesOptions {
  readonly catalogue: Catalogue
}

const EventTypeSchema = Type.Object(
  {
    type: Type.String({ examples: ['price.changed'] }),
    subject: Type.String({ description: "What an event's subject is", examples: ['the product'] }),
    description: Type.String(),
    schemaVersion: Type.Integer({
      minimum: 1,
      description:
        'The current version of its data schema: events stored under an older one are upcast when read',
    }),
    namesEntity: Type.Boolean({
      description:
        'Its events register or rename an entity: names everywhere come from them. A retraction of one changes names too.',
    }),
    reference: Type.Boolean({
      description:
        "Its events are reference data (who exists), not the market's history: the timeline leaves them out unless `kind=reference` or `kind=all` is asked.",
    }),
  },
  { additionalProperties: false },
)

const EventTypeList = Type.Object({ eventTypes: Type.Array(EventTypeSchema) })

type EventTypeAnswer = Static<typeof EventTypeSchema>

function eventTypeAnswer(eventType: EventType): EventTypeAnswer {
  const { type, subject, description, schemaVersion, namesEntity, reference } = eventType
  return { type, subject, description, schemaVersion, namesEntity, reference }
}

/** The vocabulary itself: every event type the service accepts, in catalogue order. */
export const eventTypeRoutes: FastifyPluginAsync<EventTypeRoutesOptions> = async (fastify, { catalogue }) => {
  const app = fastify as TypedApp
  const answer = { eventTypes: catalogue.types.map(eventTypeAnswer) }
  app.get(
    '/v1/event-types',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listEventTypes',
        tags: ['events'],
        summary: 'The event types of the catalogue',
        description:
          'Every type of fact the service accepts, in catalogue order: what its subject is, what it means, the ' +
          "version of its data schema, and whether it names an entity. Each type's data schema is in the " +
          'append body of `POST /v1/events`.',
        response: { 200: EventTypeList },
      },
    },
    async () => answer,
  )
}
