import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { Catalogue } from '../../catalogue/catalogue.js'
import { maxPosition, Slug } from '../../catalogue/fields.js'
import { resolveTypes } from '../../catalogue/type-filter.js'
import type { FeedConfig } from '../../config.js'
import { InvalidInput } from '../../errors.js'
import type { FeedHub } from '../../feed/hub.js'
import { startingCursor } from '../../feed/resume.js'
import { serveFeed } from '../../feed/serve.js'
import { TypeFilter } from '../../queries/parameters.js'
import type { EventStore } from '../../store/event-store.js'
import { CallerSlots, callerOf, type SlotsCounted } from '../caller-slots.js'
import { ProblemResponse } from '../schemas.js'
import type { TypedApp } from '../typed-app.js'

export interface FeedRoutesOptions {
  /** The primary's log: the feed's horizon is taken there (src/store/sql/feed.ts). */
  readonly store: EventStore
  readonly hub: FeedHub
  readonly catalogue: Catalogue
  readonly config: FeedConfig
}

// The slug's own pattern, repeated: a comma list in one parameter, as `types` is.
const slug = (Slug as unknown as { pattern: string }).pattern.slice(1, -1)

const FeedQuery = Type.Object(
  {
    types: Type.Optional(TypeFilter),
    subjects: Type.Optional(
      Type.String({
        pattern: `^${slug}(,${slug})*$`,
        maxLength: 10_000,
        description: 'Comma-separated subjects (slugs): only facts about one of them.',
        examples: ['qwen-long,doubao'],
      }),
    ),
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: maxPosition,
        description:
          'Start after this log position (0: the whole log). A Last-Event-ID header wins over it. Without either, the feed starts at the head.',
      }),
    ),
  },
  { additionalProperties: false },
)

const FeedHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      pattern: '^\\s*\\d{1,16}(:\\d{1,16})?\\s*$',
      description: 'The id of the last message received: resume right after it, without loss or repeat.',
    }),
  ),
})

const description =
  'Server-sent events: every fact recorded after the starting point, as it is recorded, in position order, as ' +
  '`event: recorded` with `id: <position>` and the event (as `GET /v1/events` gives it) as `data`. A fact recorded ' +
  'before it takes effect (a future `occurredAt`) is sent again as `event: effective` when its effectiveFrom passes, ' +
  'with `id: <P>:<Q>`: Q is its position, P the last recorded position the stream had reached. Both kinds form one ' +
  'sequence in time (a fact at its recordedAt, a notice at its effectiveFrom), so the id of the last message says ' +
  'where the stream stands on both: resuming with `Last-Event-ID` (or `?after=<position>`, as after a recorded id) ' +
  'loses and repeats neither kind. Retractions are facts and are sent like any other. A comment line ' +
  '(`: heartbeat`) comes at least every FEED_HEARTBEAT; a client that takes nothing for FEED_DRAIN_TIMEOUT is ' +
  'disconnected and resumes from its last id. Without `Accept: text/event-stream` the answer is the same stream ' +
  'up to the head of the log as the request came, and then it ends: a look at what follows a position, without following. ' +
  'One caller (an API key, or an address without one) may have FEED_STREAMS_PER_CALLER feeds open at once (default 8); ' +
  'beyond it a 429 with Retry-After.'

const feeds: SlotsCounted = { what: 'feeds', setting: 'FEED_STREAMS_PER_CALLER' }

export const feedRoutes: FastifyPluginAsync<FeedRoutesOptions> = async (fastify, options) => {
  const app = fastify as TypedApp
  const { store, hub, catalogue, config } = options
  const slots = new CallerSlots(config.streamsPerCaller, feeds)
  app.get(
    '/v1/feed',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'followFeed',
        tags: ['events'],
        summary: 'Follow the log live (server-sent events)',
        description,
        querystring: FeedQuery,
        headers: FeedHeaders,
        produces: ['text/event-stream'],
        response: {
          200: {
            description: 'A stream of `recorded` and `effective` events and heartbeat comments.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          400: ProblemResponse,
          429: ProblemResponse,
          503: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      const { types, subjects, after } = request.query
      const filter = {
        ...(types ? { types: typesNamed(catalogue, types) } : {}),
        ...(subjects ? { subjects: [...new Set(subjects.split(','))] } : {}),
      }
      const lastEventId = request.headers['last-event-id']
      const cursor = await startingCursor(store, hub, {
        ...(typeof lastEventId === 'string' ? { lastEventId } : {}),
        ...(after !== undefined ? { after } : {}),
      })
      // Held until the response closes: the client went, or the feed ended.
      reply.raw.once('close', slots.take(callerOf(request)))
      serveFeed(reply, cursor, {
        store,
        hub,
        config,
        filter,
        live: request.headers.accept?.includes('text/event-stream') ?? false,
        log: request.log,
      })
    },
  )
}

/** The log's type filter, its errors naming this route's `types`. */
function typesNamed(catalogue: Catalogue, types: string): string[] {
  try {
    return resolveTypes(catalogue, types)
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error
    throw new InvalidInput(
      error.message,
      error.errors.map((e) => ({ ...e, path: '/types' })),
    )
  }
}
