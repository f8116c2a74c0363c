/**
 * Text as PostgreSQL can keep it. A receiver's answer and our own error messages are stored as
 * they came, but PostgreSQL refuses NUL (U+0000) in `text` and in `jsonb`, and a lone UTF-16
 * surrogate has no UTF-8 form (its `jsonb` escape is refused): each becomes U+FFFD, the
 * replacement character, as an undecodable byte already does. Requests refuse such text
 * instead (`src/catalogue/storable-text.ts`); an answer is not ours to refuse.
 */
const loneSurrogates = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(loneSurrogates, '\ufffd')
}
