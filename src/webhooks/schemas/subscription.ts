import { type Static, Type } from 'typebox'
import { DateTimeOrNull, Description, Id, Subjects, SubscriptionStatus, Types, Url } from './fields.js'
import { SecretSchema } from './secret.js'

export const SubscriptionSchema = Type.Object({
  id: Id,
  url: Type.String(),
  types: Type.Array(Type.String()),
  subjects: Type.Array(Type.String()),
  description: Type.Union([Type.String(), Type.Null()]),
  status: SubscriptionStatus,
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  failingSince: { ...DateTimeOrNull, description: 'Start of the current run of failed attempts' },
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Subscription = Static<typeof SubscriptionSchema>

/** A new subscription as its creator sees it: with its secret, shown this once. */
export const SubscribedSchema = Type.Object({ ...SubscriptionSchema.properties, ...SecretSchema.properties })
export type Subscribed = Static<typeof SubscribedSchema>

export const SubscriptionInputSchema = Type.Object(
  {
    url: Url,
    types: Type.Optional(Types),
    subjects: Type.Optional(Subjects),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
)
export type SubscriptionInput = Static<typeof SubscriptionInputSchema>

export const SubscriptionChangeSchema = Type.Object(
  {
    url: Type.Optional(Url),
    types: Type.Optional(Types),
    subjects: Type.Optional(Subjects),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    status: Type.Optional(SubscriptionStatus),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type SubscriptionChange = Static<typeof SubscriptionChangeSchema>
