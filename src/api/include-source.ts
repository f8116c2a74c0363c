import { type Kysely, sql } from 'kysely'
import { Type } from 'typebox'
import { Source } from '../catalogue/fields.js'
import type { Database } from '../db/schema.js'

/**
 * `include=source`: every row of an answer that names its event (`eventId`) also carries the
 * event's source, so the answer can be cited as it stands. Done once for every read-model query:
 * the answer schema gains the optional property wherever an object has an `eventId`, and the
 * sources are looked up in one query after the answer is computed — the cached answer stays
 * without them, so one kept answer serves both.
 */

const SourceOfRow = Type.Union([Source, Type.Null()], {
  description: "With include=source: the source of the row's event as recorded (null: it has none).",
})

type JsonSchema = Readonly<Record<string | symbol, unknown>>

const isSchema = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null

/** `schema` with an optional `source` beside every `eventId` property, at any depth. */
export function withSourceProperties<T extends object>(schema: T): T {
  return addSource(schema as JsonSchema) as T
}

function addSource(schema: JsonSchema): JsonSchema {
  // Spread keeps the schema's own symbol keys (TypeBox's kind), so the copy is still a TypeBox schema.
  const copy: Record<string | symbol, unknown> = { ...schema }
  const properties = schema.properties
  if (isSchema(properties)) {
    const mapped = Object.fromEntries(
      Object.entries(properties).map(([name, part]) => [name, isSchema(part) ? addSource(part) : part]),
    )
    if ('eventId' in properties && !('source' in properties)) mapped.source = Type.Optional(SourceOfRow)
    copy.properties = mapped
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const part = schema[key]
    if (isSchema(part)) copy[key] = addSource(part)
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const parts = schema[key]
    if (Array.isArray(parts)) copy[key] = parts.map((p) => (isSchema(p) ? addSource(p) : p))
  }
  return copy
}

/** Every event id an answer names, at any depth. */
function eventIdsIn(value: unknown, ids: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) eventIdsIn(item, ids)
  else if (typeof value === 'object' && value !== null) {
    const { eventId } = value as { eventId?: unknown }
    if (typeof eventId === 'string') ids.add(eventId.toLowerCase())
    for (const part of Object.values(value)) eventIdsIn(part, ids)
  }
  return ids
}

/** A copy of `answer` whose rows with an `eventId` carry that event's source; `answer` is not changed. */
function attach(value: unknown, sources: ReadonlyMap<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((item) => attach(item, sources))
  if (typeof value !== 'object' || value === null || value instanceof Date) return value
  const copy = Object.fromEntries(Object.entries(value).map(([name, part]) => [name, attach(part, sources)]))
  const { eventId } = value as { eventId?: unknown }
  if (typeof eventId === 'string' && !('source' in copy))
    copy.source = sources.get(eventId.toLowerCase()) ?? null
  return copy
}

/** The answer with every row's source, read in one query of the log by the rows' event ids. */
export async function withSources(db: Kysely<Database>, answer: unknown): Promise<unknown> {
  const ids = [...eventIdsIn(answer, new Set())]
  if (ids.length === 0) return answer
  const { rows } = await sql<{ id: string; source: unknown }>`
    select id::text, source from events where id = any(${ids}::uuid[])
  `.execute(db)
  return attach(answer, new Map(rows.map((r) => [r.id.toLowerCase(), r.source])))
}
