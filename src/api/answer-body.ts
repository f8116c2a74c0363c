/** The content type the response serialiser gives a JSON answer, for a body written beside it. */
export const jsonType = 'application/json; charset=utf-8'

/** An answer's schema, as the part of JSON Schema that says how an object is written. */
interface AnswerSchema {
  readonly type?: unknown
  readonly properties?: Readonly<Record<string, object>>
}

/** Writes one part of an answer as JSON, from its schema (the route's own response serialiser). */
export type WritePart = (value: unknown, schema: object) => string

/**
 * An answer's JSON body, written part by part in the order of its schema's properties, as the
 * response serialiser writes the whole. A part that came from the answer cache — the kept value, or
 * one of its own properties (a page's rows beside its cursor) — is written once and its JSON kept
 * with it (`keptJson`), so that a hit costs the few small parts around it (the point in time, a
 * cursor) and not the list again. Undefined for an answer that is not an object.
 */
export function answerBody(
  schema: AnswerSchema,
  answer: unknown,
  kept: object,
  keptJson: (part: object, write: () => Buffer) => Buffer,
  write: WritePart,
): Buffer | undefined {
  // A kept list is one part; only a kept object (a page and its cursor) has parts of its own.
  const keptParts = new Set<unknown>(Array.isArray(kept) ? [kept] : [kept, ...Object.values(kept)])
  return bodyOf(
    schema,
    answer,
    (part, written) => (keptParts.has(part) ? keptJson(part, written) : undefined),
    write,
  )
}

/**
 * An answer's JSON body in the order of its schema's properties: each part written by `write`,
 * except where `ready` gives its JSON (from `written`, the part as `write` writes it, or as it was
 * kept). Undefined for an answer that is not an object.
 */
export function bodyOf(
  schema: AnswerSchema,
  answer: unknown,
  ready: (part: object, written: () => Buffer) => Buffer | undefined,
  write: WritePart,
): Buffer | undefined {
  const { properties } = schema
  if (schema.type !== 'object' || !properties || typeof answer !== 'object' || answer === null)
    return undefined
  // Bytes, not text: a hit then copies the kept JSON once instead of encoding it as UTF-8 again.
  const parts: Buffer[] = []
  let text = '{'
  for (const [name, part] of Object.entries(properties)) {
    const value = (answer as Readonly<Record<string, unknown>>)[name]
    if (value === undefined) continue
    text += `${text === '{' ? '' : ','}${JSON.stringify(name)}:`
    const json =
      typeof value === 'object' && value !== null
        ? ready(value, () => Buffer.from(write(value, part)))
        : undefined
    if (json !== undefined) {
      parts.push(Buffer.from(text), json)
      text = ''
    } else {
      text += write(value, part)
    }
  }
  parts.push(Buffer.from(`${text}}`))
  return Buffer.concat(parts)
}
