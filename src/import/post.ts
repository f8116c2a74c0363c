import type { RecordedEvent } from '../catalogue/event-type.js'
import { RefusedRequest, type ServiceClient } from '../cli/service-client.js'
import type { PreparedEvent } from './prepare.js'
import { problemAt } from './prepare.js'
import type { ReadProblem } from './read.js'

export interface PostCounts {
  /** Events the service stored on this run. */
  readonly stored: number
  /** Events the service already held with the same content (an earlier or interrupted run). */
  readonly alreadyStored: number
}

/** A batch the service refused (4xx): its problems at the lines they came from. Nothing of it was stored. */
export class BatchRefused extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly problems: readonly ReadProblem[],
    readonly first: PreparedEvent,
    readonly last: PreparedEvent,
    readonly before: PostCounts,
  ) {
    super(detail)
  }
}

/** Answers about the batch itself (its events), not about the key or the service. */
const batchStatuses = [400, 409, 413, 422]

/**
 * Posts the batches one after another, in order: a subject's events stay in file order, and a
 * refused batch stops the import with everything before it stored and nothing after it sent.
 */
export async function postBatches(
  client: ServiceClient,
  batches: readonly PreparedEvent[][],
  onBatch: (counts: PostCounts & { readonly posted: number }) => void,
): Promise<PostCounts> {
  let stored = 0
  let alreadyStored = 0
  let posted = 0
  for (const batch of batches) {
    const body = `{"events":[${batch.map((e) => JSON.stringify(e.input)).join(',')}]}`
    let answer: { status: number; body: { events: RecordedEvent[] } }
    try {
      answer = await client.json<{ events: RecordedEvent[] }>('POST', '/v1/events', body)
    } catch (error) {
      if (!(error instanceof RefusedRequest) || !batchStatuses.includes(error.status)) throw error
      throw refusedBatch(error, batch, { stored, alreadyStored })
    }
    const fresh = answer.status === 201 ? newlyStored(answer.body.events) : 0
    stored += fresh
    alreadyStored += batch.length - fresh
    posted += batch.length
    onBatch({ stored, alreadyStored, posted })
  }
  return { stored, alreadyStored }
}

/**
 * How many events of a 201 answer this request stored: the ones recorded in its transaction, which
 * share the latest recording time of the answer; the others were recorded before.
 */
function newlyStored(events: readonly RecordedEvent[]): number {
  const times = events.map((e) => Date.parse(e.recordedAt))
  const latest = Math.max(...times)
  return times.filter((t) => t === latest).length
}

function refusedBatch(
  error: RefusedRequest,
  batch: readonly PreparedEvent[],
  before: PostCounts,
): BatchRefused {
  const first = batch[0] as PreparedEvent
  const last = batch.at(-1) as PreparedEvent
  const problems = error.errors.map((field) => {
    const match = /^\/events\/(\d+)(.*)$/.exec(field.path)
    const event = match ? batch[Number(match[1])] : undefined
    if (event && match) return problemAt(event, match[2] ?? '', field.message)
    return { file: first.file, line: first.line, path: field.path, message: field.message }
  })
  return new BatchRefused(error.status, error.detail, problems, first, last, before)
}
