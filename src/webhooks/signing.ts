import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'

/** A new endpoint secret: `whsec_` and the base64 of 32 random bytes, as Standard Webhooks asks. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

const signers = new Map<string, Webhook>()

function signer(secret: string): Webhook {
  let found = signers.get(secret)
  if (!found) {
    if (signers.size > 10_000) signers.clear()
    found = new Webhook(secret)
    signers.set(secret, found)
  }
  return found
}

/**
 * The `webhook-signature` header: `v1,<signature>` for each secret in use, space-separated.
 * While a rotated secret is still honoured, receivers holding either secret can verify.
 */
export function signatureHeader(
  secrets: readonly string[],
  messageId: string,
  timestamp: Date,
  body: string,
): string {
  return secrets.map((secret) => signer(secret).sign(messageId, timestamp, body)).join(' ')
}
