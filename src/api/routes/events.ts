import { Readable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import { appendRequestSchema, Uuid } from '../../catalogue/envelope.js'
import type { RecordedEvent } from '../../catalogue/event-type.js'
import { resolveTypes } from '../../catalogue/type-filter.js'
import { assumedPointerErrors } from '../../catalogue/validation.js'
import { InvalidInput, NotFound } from '../../errors.js'
import {
  AfterPosition,
  Limit,
  SubjectFilter,
  TypeFilter,
  ValidFrom,
  ValidTo,
} from '../../queries/parameters.js'
import type { EventStore, LogFilter } from '../../store/event-store.js'
import { marketDateAt } from '../../time/market-date.js'
import { CallerSlots, callerOf } from '../caller-slots.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface EventRoutesOptions {
  /** Appends go here: the primary. */
  readonly store: EventStore
  /** The log's reads: the same store, or one on a streaming replica of it. */
  readonly log: EventStore
  /** The NDJSON export of the whole log: on the pool of long reads; defaults to `log`. */
  readonly fullLog?: EventStore
  /** Full-log reads in progress per caller, shared with report replays; default: no limit. */
  readonly slots?: CallerSlots
  readonly catalogue: Catalogue
  readonly marketTz: string
}

const EventPage = Type.Object({
  events: Type.Array(Type.Ref('Event')),
  next: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Pass as `after` for the next page; null when this page reached the end of the log.',
  }),
})

const EventList = Type.Object({ events: Type.Array(Type.Ref('Event')) })

const problems = {
  400: ProblemResponse,
  404: ProblemResponse,
  409: ProblemResponse,
  413: ProblemResponse,
  503: ProblemResponse,
}

export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (
  fastify,
  { store, log, fullLog = log, catalogue, marketTz, slots = new CallerSlots(0) },
) => {
  const app = fastify as TypedApp
  app.post(
    '/v1/events',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'appendEvents',
        tags: ['events'],
        summary: 'Append events (atomic batch, idempotent by id)',
        description:
          'Appends 1–1000 events atomically: all are stored or none. Re-posting stored events with identical content ' +
          "is 200 with the stored events; the same id with other content is 409. `expectedVersion` guards a subject's " +
          'stream: a mismatch is 409 and stores nothing. ' +
          'A `source.assumed` pointer that names no value of its own event is a 400 naming it.',
        body: appendRequestSchema(catalogue),
        response: { 200: EventList, 201: EventList, ...problems },
      },
    },
    async (request, reply) => {
      const unmarked = assumedPointerErrors(request.body.events)
      if (unmarked.length)
        throw new InvalidInput('a source.assumed pointer names no value of its event', unmarked)
      const result = await store.append(request.body.events)
      return reply.code(result.appended > 0 ? 201 : 200).send({ events: [...result.events] })
    },
  )

  app.get(
    '/v1/events',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'Read the log in position order',
        description:
          'Pages through the log by position. With `Accept: application/x-ndjson` it streams every matching event, ' +
          'one JSON document per line (one caller may have REPORT_READS_PER_CALLER such exports or report replays ' +
          'in progress at once; beyond that 429). Positions are commit order: paging with `after` never skips an event.',
        querystring: Type.Object(
          {
            after: Type.Optional(AfterPosition),
            limit: Type.Optional(Limit),
            type: Type.Optional(TypeFilter),
            subject: Type.Optional(SubjectFilter),
            from: Type.Optional(ValidFrom),
            to: Type.Optional(ValidTo),
          },
          { additionalProperties: false },
        ),
        response: { 200: EventPage, 400: ProblemResponse, 429: ProblemResponse, 503: ProblemResponse },
      },
    },
    async (request, reply) => {
      const { after = 0, limit = 100, type, subject, from, to } = request.query
      const filter: Omit<LogFilter, 'limit'> = {
        after,
        ...(type ? { types: resolveTypes(catalogue, type) } : {}),
        ...(subject ? { subject } : {}),
        ...(from ? { effectiveFrom: marketDateAt('/from', from, marketTz).start.toJSDate() } : {}),
        ...(to ? { effectiveTo: marketDateAt('/to', to, marketTz).end.toJSDate() } : {}),
      }
      if (request.headers.accept?.includes('application/x-ndjson')) {
        // The slot is held until the stream ends or the client goes away.
        const release = slots.take(callerOf(request))
        reply.raw.once('close', release)
        const lines = Readable.from(
          (async function* () {
            try {
              for await (const event of fullLog.stream(filter)) yield `${JSON.stringify(event)}\n`
            } finally {
              release()
            }
          })(),
        )
        return reply.type('application/x-ndjson; charset=utf-8').send(lines as never)
      }
      const events = await log.query({ ...filter, limit })
      return { events, next: nextCursor(events, limit) }
    },
  )

  app.get(
    '/v1/events/head',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getHeadPosition',
        tags: ['events'],
        summary: 'The position of the latest event in the log',
        description:
          'Where to follow the log from: read `GET /v1/events?after=<position>` for what comes next, and pass it as ' +
          '`consistentWith` for read-model answers that include everything up to here. 0 for an empty log.',
        response: { 200: Type.Object({ position: Type.Integer({ minimum: 0 }) }), 503: ProblemResponse },
      },
    },
    async () => ({ position: await log.headPosition() }),
  )

  app.get(
    '/v1/events/:id',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getEvent',
        tags: ['events'],
        summary: 'One event by id',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Ref('Event'), 400: ProblemResponse, 404: ProblemResponse },
      },
    },
    async (request) => {
      const event = await log.findById(request.params.id)
      if (!event) throw new NotFound(`no event with id ${request.params.id}`)
      return event
    },
  )

  app.get(
    '/v1/subjects/:subject/events',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listSubjectEvents',
        tags: ['events'],
        summary: "A subject's stream, in version order",
        params: Type.Object({ subject: SubjectFilter }),
        querystring: Type.Object(
          { after: Type.Optional(AfterPosition), limit: Type.Optional(Limit) },
          { additionalProperties: false },
        ),
        response: { 200: EventPage, 400: ProblemResponse },
      },
    },
    async (request) => {
      const { after = 0, limit = 100 } = request.query
      const events = await log.query({ subject: request.params.subject, after, limit })
      return { events, next: nextCursor(events, limit) }
    },
  )
}

function nextCursor(events: readonly RecordedEvent[], limit: number): number | null {
  return events.length === limit ? (events.at(-1)?.position ?? null) : null
}
