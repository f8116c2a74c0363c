import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Text } from '../src/catalogue/fields.js'

export const eventRetracted = defineEventType({
  type: 'event.retracted',
  subject: "the retracted event's subject",
  description: 'An earlier event was a mistake: from now on it no longer counts. The log keeps both.',
  schema: Type.Object(
    { eventId: Type.String({ format: 'uuid' }), reason: Text(2000) },
    { additionalProperties: false },
  ),
  summary: ({ data }) => `Retracted event ${data.eventId}: ${data.reason}`,
})
