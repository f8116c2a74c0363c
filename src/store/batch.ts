import { randomUUID } from 'node:crypto'
import type { Catalogue } from '../catalogue/catalogue.js'
import type { EventInput } from '../catalogue/envelope.js'
import type { EventSource } from '../catalogue/event-type.js'
import { InvalidDate, InvalidInput } from '../errors.js'
import { type Precision, parseMarketDate } from '../time/market-date.js'

export const MAX_BATCH = 1000

/** One event of a batch as `mt_append_events` reads it. */
export interface BatchRow {
  readonly idx: number
  readonly id: string
  readonly type: string
  readonly schema_version: number
  readonly subject: string
  readonly occurred_at: string
  readonly precision: Precision
  readonly effective_from: string | null
  readonly data: unknown
  readonly source: EventSource | null
  readonly expected_version: number | null
}

/** The batch as the append function takes it; refuses unknown types, bad dates and repeated ids. */
export function toBatch(inputs: readonly EventInput[], catalogue: Catalogue, marketTz: string): BatchRow[] {
  const batch = inputs.map((input, idx) => toBatchRow(input, idx, catalogue, marketTz))
  rejectRepeatedIds(batch.map((row) => row.id))
  return batch
}

function toBatchRow(input: EventInput, idx: number, catalogue: Catalogue, marketTz: string): BatchRow {
  const eventType = catalogue.get(input.type)
  if (!eventType) {
    throw new InvalidInput(`unknown event type '${input.type}'`, [
      { path: `/events/${idx}/type`, message: `unknown event type '${input.type}'` },
    ])
  }
  const occurred = parseMarketDate(input.occurredAt, marketTz)
  if (!occurred)
    throw new InvalidDate(`/events/${idx}/occurredAt`, input.occurredAt, 'not a valid market date')
  return {
    idx,
    id: (input.id ?? randomUUID()).toLowerCase(),
    type: input.type,
    schema_version: eventType.schemaVersion,
    subject: input.subject,
    occurred_at: input.occurredAt,
    precision: occurred.precision,
    effective_from: occurred.start.toJSDate().toISOString(),
    data: input.data,
    source: input.source ?? null,
    expected_version: input.expectedVersion ?? null,
  }
}

function rejectRepeatedIds(ids: readonly string[]): void {
  if (ids.length > MAX_BATCH) {
    throw new InvalidInput(`a batch holds at most ${MAX_BATCH} events`, [
      { path: '/events', message: `at most ${MAX_BATCH} events` },
    ])
  }
  const firstIndex = new Map<string, number>()
  ids.forEach((id, idx) => {
    const first = firstIndex.get(id)
    if (first !== undefined) {
      throw new InvalidInput(`event id ${id} appears twice in the batch`, [
        { path: `/events/${idx}/id`, message: `repeats the id of /events/${first}` },
      ])
    }
    firstIndex.set(id, idx)
  })
}
