import { type Static, Type } from 'typebox'
import { maxPosition } from '../../catalogue/fields.js'
import { DateTimeOrNull, DeliveryStatus, Id } from './fields.js'

export const AttemptSchema = Type.Object({
  attempt: Type.Integer(),
  attemptedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  responseBody: Type.Union([Type.String({ description: 'The first 4 KiB' }), Type.Null()]),
})
export type Attempt = Static<typeof AttemptSchema>

/** A delivery in the delivery log, with every attempt. */
export const DeliveryRecordSchema = Type.Object({
  id: Type.String({ description: 'The webhook-id header: the same on every attempt' }),
  eventId: Id,
  eventPosition: Type.Integer(),
  eventType: Type.String(),
  subject: Type.String(),
  status: DeliveryStatus,
  replayId: Type.Union([Id, Type.Null()], { description: 'Set when a replay made this delivery' }),
  attemptCount: Type.Integer(),
  nextAttemptAt: DateTimeOrNull,
  createdAt: Type.String({ format: 'date-time' }),
  deliveredAt: DateTimeOrNull,
  attempts: Type.Array(AttemptSchema),
})
export type DeliveryRecord = Static<typeof DeliveryRecordSchema>

export const DeliveryLogQuerySchema = Type.Object(
  {
    status: Type.Optional(DeliveryStatus),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    next: Type.Optional(
      Type.Integer({ minimum: 1, maximum: maxPosition, description: "The previous page's `next`" }),
    ),
  },
  { additionalProperties: false },
)
export type DeliveryLogQuery = Static<typeof DeliveryLogQuerySchema>

export const DeliveryLogPageSchema = Type.Object({
  deliveries: Type.Array(DeliveryRecordSchema),
  next: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Pass as `next` for the next page',
  }),
})
export type DeliveryLogPage = Static<typeof DeliveryLogPageSchema>

/** A manual retry, queued. */
export const QueuedRetrySchema = Type.Object({ deliveryId: Id, jobId: Id })
export type QueuedRetry = Static<typeof QueuedRetrySchema>
