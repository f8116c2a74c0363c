import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type PgBoss from 'pg-boss'
import { KeyVerifier } from '../auth/api-keys.js'
import type { Catalogue } from '../catalogue/catalogue.js'
import { RecordedEventSchema } from '../catalogue/envelope.js'
import { bodyAjv, compileRequestValidator, parameterAjv } from '../catalogue/validation.js'
import type { Config } from '../config.js'
import type { DatabaseHandle } from '../db/connect.js'
import { DatabaseUnavailable } from '../errors.js'
import { FeedHub } from '../feed/hub.js'
import type { Projection } from '../projector/projection.js'
import { replicaWatch } from '../projector/read-model-state.js'
import type { RequestReport } from '../reports/jobs.js'
import type { Report } from '../reports/report.js'
import { createEventStore, type EventStore } from '../store/event-store.js'
import { type AnswerCache, listeningAnswerCache } from './answer-cache.js'
import { authentication } from './auth.js'
import { CallerSlots } from './caller-slots.js'
import { documentAccess } from './documented-access.js'
import { openApiOptions } from './openapi.js'
import { handleError, handleNotFound, maxParamLength } from './problems.js'
import { diffRoutes } from './routes/diff.js'
import { eventTypeRoutes } from './routes/event-types.js'
import { eventRoutes } from './routes/events.js'
import { feedRoutes } from './routes/feed.js'
import { historyRoutes } from './routes/history.js'
import { keyRoutes } from './routes/keys.js'
import { operationsRoutes } from './routes/operations.js'
import { projectionRoutes } from './routes/projections.js'
import { queryRoutes } from './routes/queries.js'
import { reportRoutes } from './routes/reports.js'
import { seriesRoutes } from './routes/series.js'
import { uiRoutes } from './routes/ui.js'
import { webhookRoutes } from './routes/webhooks.js'
import { ProblemSchema } from './schemas.js'
import { requestForLog, serverOptions } from './server-options.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The read-model answers kept between requests; unset without a `databaseUrl` to listen on. */
    answerCache: AnswerCache | undefined
    /** What the live feeds of this process share (their listener, and how far each has read). */
    feedHub: FeedHub
  }
}

export interface AppDependencies {
  readonly config: Config
  readonly database: DatabaseHandle
  /**
   * A streaming replica of `database` (READ_DATABASE_URL): the read models, the log's reads and
   * reports are read there; appends, keys, webhooks, projections and jobs stay on `database`.
   */
  readonly readDatabase?: DatabaseHandle
  /**
   * Report replays and the log's NDJSON export, which read all of the log: a small pool of their
   * own with a statement timeout, so that they cannot take the connections appends need.
   * Defaults to `readDatabase`, else `database`.
   */
  readonly reportDatabase?: DatabaseHandle
  readonly catalogue: Catalogue
  /** The read models whose queries the API answers; none without. */
  readonly projections?: readonly Projection[]
  /** The reports the API replays and queues. */
  readonly reports: readonly Report[]
  /** Defaults to the PostgreSQL store on `database`. */
  readonly store?: EventStore
  /** Queues a projection rebuild (pg-boss); without it, rebuild requests are 503. */
  readonly requestRebuild?: (name: string) => Promise<string>
  /** Queues a report job (pg-boss); without it, report job requests are 503. */
  readonly requestReport?: RequestReport
  /** The primary, where to LISTEN for read-model changes, to keep answers between requests; unset: no cache. */
  readonly databaseUrl?: string
  /** The job queue, for webhook retries and resumes; without it, those are 503. */
  readonly jobs?: PgBoss
}

const version = '0.1.0'
/** Probes answer whatever the rate limit. */
const unlimitedRoutes = new Set(['/health', '/ready'])

/** Builds the HTTP API, ready for `listen()` or `inject()`. Starts nothing. */
export async function buildApp({
  config,
  database,
  readDatabase,
  reportDatabase,
  catalogue,
  projections = [],
  reports,
  store,
  requestRebuild,
  requestReport,
  databaseUrl,
  jobs,
}: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      serializers: { req: requestForLog },
    },
    bodyLimit: config.bodyLimit,
    // Responses are serialised from the same schemas; the serialiser need not check our own format.
    serializerOpts: { ajv: { formats: { 'market-date': true } } },
    ...serverOptions(config),
    // Above the longest identifier (a 128-character slug), so those reach validation and name
    // their field; a longer segment is a 414 problem, like every error the router itself raises.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength },
    frameworkErrors: handleError,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Bodies are validated strictly, parameters with coercion: see src/catalogue/validation.ts.
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compileRequestValidator(httpPart === 'body' ? bodyAjv : parameterAjv, schema as object),
  )
  // The service speaks plain HTTP (TLS, where there is any, ends in front of it): HSTS or
  // upgrade-insecure-requests there would make a browser fetch the explorer's scripts over an
  // https:// that does not answer. HSTS is sent only on requests a trusted proxy says came over https.
  await app.register(helmet, {
    global: true,
    hsts: false,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  })
  const verifier = new KeyVerifier(database.db, config.adminApiKey)
  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: '1 minute',
      // After authentication, so a key's requests count against the key wherever they come from.
      hook: 'preValidation',
      keyGenerator: (request) => (request.caller ? `key:${request.caller.keyId}` : `ip:${request.ip}`),
      allowList: (request) => unlimitedRoutes.has(request.url),
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: 'FST_ERR_RATE_LIMITED',
        message: `More than ${context.max} requests a minute; retry in ${context.after}.`,
      }),
    })
  }
  await app.register(authentication, {
    verifier,
    readAccess: config.readAccess,
    // A refused key counts against the address (it has no caller), so guessing keys meets the 429.
    ...(config.rateLimitPerMinute > 0 ? { countRefusal: app.rateLimit() } : {}),
  })

  // JSON only: a text/plain body is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain')
  app.addSchema(RecordedEventSchema)
  app.addSchema(ProblemSchema)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  // While shutting down, answers close their connection, so keep-alive clients do not hold the exit up.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000')
    if (closing) reply.header('connection', 'close')
  })

  app.addHook('onRoute', (route) =>
    documentAccess(route, {
      readAccess: config.readAccess,
      rateLimited: (url) => config.rateLimitPerMinute > 0 && !unlimitedRoutes.has(url),
    }),
  )
  await app.register(swagger, openApiOptions(version))
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace(/\s*upgrade-insecure-requests;?/, ''),
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const eventStore = store ?? createEventStore(database.db, catalogue, config.marketTz)
  const reads = readDatabase?.db ?? database.db
  const longReads = reportDatabase?.db ?? reads
  const longReadSlots = new CallerSlots(config.reports.readsPerCaller)
  await app.register(operationsRoutes, { db: database.db, ...(readDatabase ? { replica: reads } : {}) })
  await app.register(eventRoutes, {
    store: eventStore,
    log: readDatabase ? createEventStore(reads, catalogue, config.marketTz) : eventStore,
    fullLog: createEventStore(longReads, catalogue, config.marketTz),
    slots: longReadSlots,
    catalogue,
    marketTz: config.marketTz,
  })
  const feedHub = new FeedHub({
    store: eventStore,
    ...(databaseUrl ? { databaseUrl } : {}),
    pollMs: config.feed.pollMs,
    warn: (err, message) => app.log.warn({ err }, message),
  })
  // Before the server closes: it waits for open connections, and a feed's never ends by itself.
  app.addHook('preClose', () => feedHub.close())
  app.decorate('feedHub', feedHub)
  await app.register(feedRoutes, { store: eventStore, hub: feedHub, catalogue, config: config.feed })
  await app.register(eventTypeRoutes, { catalogue })
  await app.register(keyRoutes, { db: database.db, verifier })
  const answers = databaseUrl
    ? listeningAnswerCache(
        databaseUrl,
        readDatabase ? replicaWatch(database.db, reads) : undefined,
        config.answerCacheBytes,
      )
    : undefined
  if (answers) app.addHook('onClose', () => answers.close())
  app.decorate('answerCache', answers?.cache)
  await app.register(queryRoutes, {
    projections,
    ...(answers ? { cache: answers.cache } : {}),
    db: reads,
    primary: database.db,
    catalogue,
    marketTz: config.marketTz,
    consistencyWaitMs: config.consistencyWaitMs,
  })
  await app.register(diffRoutes, {
    projections,
    ...(answers ? { cache: answers.cache } : {}),
    db: reads,
    primary: database.db,
    marketTz: config.marketTz,
    consistencyWaitMs: config.consistencyWaitMs,
  })
  await app.register(historyRoutes, {
    projections,
    db: reads,
    pool: readDatabase?.pool ?? database.pool,
    primary: database.db,
    marketTz: config.marketTz,
    consistencyWaitMs: config.consistencyWaitMs,
  })
  await app.register(seriesRoutes, {
    db: reads,
    primary: database.db,
    marketTz: config.marketTz,
    consistencyWaitMs: config.consistencyWaitMs,
    ...(answers ? { cache: answers.cache } : {}),
  })
  await app.register(reportRoutes, {
    db: database.db,
    log: longReads,
    slots: longReadSlots,
    catalogue,
    marketTz: config.marketTz,
    reports,
    ...(requestReport ? { requestReport } : {}),
  })
  await app.register(projectionRoutes, {
    db: database.db,
    requestRebuild:
      requestRebuild ??
      (async () => {
        throw new DatabaseUnavailable(
          'this process has no job queue; rebuilds are queued by the API and worker roles',
        )
      }),
  })
  await app.register(webhookRoutes, { db: database.db, catalogue, config: config.webhooks, boss: jobs })
  await app.register(uiRoutes)
  return app
}
