import { type Static, Type } from 'typebox'
import { DateTimeOrNull } from './fields.js'

export const SecretSchema = Type.Object({
  secret: Type.String({ description: '`whsec_` and base64: verify with any Standard Webhooks library' }),
  previousSecretExpiresAt: {
    ...DateTimeOrNull,
    description: 'After a rotation, the previous secret also signs (a second signature) until then',
  },
})
export type Secret = Static<typeof SecretSchema>
