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
  keptJson: (part: object, write: () => string) => string,
  write: WritePart,
): string | undefined {
  const { properties } = schema
  if (schema.type !== 'object' || !properties || typeof answer !== 'object' || answer === null)
    return undefined
  const keptParts = new Set<unknown>([kept, ...Object.values(kept)])
  const parts: string[] = []
  for (const [name, part] of Object.entries(properties)) {
    const value = (answer as Readonly<Record<string, unknown>>)[name]
    if (value === undefined) continue
    const json =
      typeof value === 'object' && value !== null && keptParts.has(value)
        ? keptJson(value, () => write(value, part))
        : write(value, part)
    parts.push(`${JSON.stringify(name)}:${json}`)
  }
  return `{${parts.join(',')}}`
}
