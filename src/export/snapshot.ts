import { RefusedRequest, type ServiceClient } from '../cli/service-client.js'
import { csvField } from '../reports/formats.js'

export const snapshotFormats = ['ndjson', 'csv'] as const
export type SnapshotFormat = (typeof snapshotFormats)[number]

/** The read models a snapshot holds, in the order it writes them. */
export const snapshotModels = [
  'entity',
  'price',
  'alliance',
  'relation',
  'funding',
  'timeline',
  'company',
] as const
export type SnapshotModel = (typeof snapshotModels)[number]

export interface SnapshotRequest {
  readonly asOf?: string
  readonly knownAt?: string
  readonly models: readonly SnapshotModel[]
}

export type SnapshotRow = { readonly model: string } & Record<string, unknown>

const PAGE = 1000

/**
 * Every row of the read models at one point in time, read through their list queries. The first
 * row (`model: "snapshot"`) says which point: every query is asked at the same asOf and knownAt,
 * and with `consistentWith` the head of the log, so each answer holds everything recorded up to
 * the export. Unless given, knownAt is the recording time of that latest event (the service's
 * clock, not this one's) and asOf the moment the export starts.
 */
export async function* snapshotRows(
  client: ServiceClient,
  request: SnapshotRequest,
): AsyncGenerator<SnapshotRow> {
  const { body: head } = await client.json<{ position: number }>('GET', '/v1/events/head')
  let knownAt = request.knownAt
  if (knownAt === undefined && head.position > 0) {
    const { body } = await client.json<{ events: Array<{ recordedAt: string }> }>(
      'GET',
      `/v1/events?after=${head.position - 1}&limit=1`,
    )
    knownAt = body.events[0]?.recordedAt
  }
  knownAt ??= new Date().toISOString()
  const asOf = request.asOf ?? new Date().toISOString()
  const at = (withAsOf: boolean, extra: Record<string, string> = {}) =>
    new URLSearchParams({
      ...(withAsOf ? { asOf } : {}),
      knownAt,
      ...(head.position > 0 ? { consistentWith: String(head.position) } : {}),
      ...extra,
    }).toString()
  const get = async <T>(path: string) => (await client.json<T>('GET', path)).body

  // The point as the service read it (a date means the end of that period, in MARKET_TZ).
  const point = await get<{ asOf: string; knownAt: string }>(`/v1/prices?${at(true, { product: 'x' })}`)
  yield { model: 'snapshot', asOf: point.asOf, knownAt: point.knownAt, position: head.position }

  const wanted = new Set(request.models)
  const entities =
    wanted.has('entity') || wanted.has('company')
      ? (
          await get<{ entities: Array<{ slug: string; kind: string } & Record<string, unknown>> }>(
            `/v1/entities?${at(false)}`,
          )
        ).entities
      : []
  if (wanted.has('entity')) for (const row of entities) yield { model: 'entity', ...row }
  if (wanted.has('price')) {
    for (const row of (await get<{ prices: object[] }>(`/v1/prices?${at(true)}`)).prices)
      yield { model: 'price', ...row }
  }
  if (wanted.has('alliance')) {
    for (const row of (await get<{ alliances: object[] }>(`/v1/alliances?${at(true)}`)).alliances)
      yield { model: 'alliance', ...row }
  }
  if (wanted.has('relation')) {
    for await (const row of pages(
      get,
      (next) => `/v1/relations?${at(true, { limit: String(PAGE), ...next })}`,
      'relations',
    ))
      yield { model: 'relation', ...row }
  }
  if (wanted.has('funding')) {
    for await (const row of pages(
      get,
      (next) => `/v1/funding?${at(true, { limit: String(PAGE), ...next })}`,
      'rounds',
    ))
      yield { model: 'funding', ...row }
  }
  if (wanted.has('timeline')) {
    for await (const row of pages(
      get,
      (next) => `/v1/timeline?${at(false, { kind: 'all', limit: String(PAGE), ...next })}`,
      'events',
    ))
      yield { model: 'timeline', ...row }
  }
  if (wanted.has('company')) {
    for (const entity of entities.filter((e) => e.kind === 'company')) {
      try {
        const {
          asOf: _,
          knownAt: __,
          ...profile
        } = await get<Record<string, unknown>>(`/v1/companies/${encodeURIComponent(entity.slug)}?${at(true)}`)
        yield { model: 'company', ...profile }
      } catch (error) {
        // Nothing known about it at this point: no profile, as the query answers.
        if (!(error instanceof RefusedRequest && error.status === 404)) throw error
      }
    }
  }
}

async function* pages(
  get: <T>(path: string) => Promise<T>,
  pathOf: (next: Record<string, string>) => string,
  field: string,
): AsyncGenerator<object> {
  let next: string | null = null
  do {
    const page: Record<string, unknown> = await get<Record<string, unknown>>(pathOf(next ? { next } : {}))
    yield* page[field] as object[]
    next = (page.next as string | null) ?? null
  } while (next)
}

/**
 * The rows as one RFC 4180 table: `model` first, then every field of every model (a field shared
 * by name is one column), nested objects as dotted columns (`amount.value`), lists as JSON text.
 */
export function toCsvRows(rows: readonly SnapshotRow[]): string {
  const flat = rows.map((row) => flatten(row))
  const columns = [...new Set(flat.flatMap((row) => Object.keys(row)))]
  const lines = [columns.map((c) => csvField(c)).join(',')]
  for (const row of flat) lines.push(columns.map((c) => csvField(row[c] ?? null)).join(','))
  return `${lines.join('\r\n')}\r\n`
}

function flatten(
  value: Record<string, unknown>,
  prefix = '',
  into: Record<string, string | number | null> = {},
) {
  for (const [key, field] of Object.entries(value)) {
    const name = `${prefix}${key}`
    if (field === null || field === undefined) into[name] = null
    else if (Array.isArray(field)) into[name] = JSON.stringify(field)
    else if (typeof field === 'object') flatten(field as Record<string, unknown>, `${name}.`, into)
    else into[name] = typeof field === 'number' ? field : String(field)
  }
  return into
}
