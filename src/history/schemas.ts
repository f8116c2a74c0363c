import { type Static, Type } from 'typebox'
import { LiteralUnion, Slug, Source } from '../catalogue/fields.js'
import { diffModels } from '../diff/model.js'
import { Instant, NullableStatus } from '../queries/answer-fields.js'
import { ConsistentWith, KnownAt, ReportedBy, ValidFrom, ValidTo } from '../queries/parameters.js'

const Row = Type.Unknown({
  description:
    "The row exactly as the model's own query answers it (GET /v1/diff's rows); null when absent. " +
    'For a plan, after is the row as the plan states it (a price), or the data of the plan.',
})

const Retracted = Type.Union(
  [
    Type.Object({
      at: Instant,
      reason: Type.String(),
      eventId: Type.String({ format: 'uuid', description: 'The retraction' }),
    }),
    Type.Null(),
  ],
  {
    description:
      'The retraction, recorded (and published, with reportedBy) by knownAt, that took the fact back; its ' +
      'before and after are the rows as the fact claimed them, just before the retraction was recorded. Null ' +
      'for a fact that stands.',
  },
)

const SourceOfChange = Type.Union([Source, Type.Null()], {
  description: "The event's source as recorded; null without one",
})

/** One step of a row of one read model, brought by one of the subject's events. */
export const HistoryChangeSchema = Type.Object({
  effectiveFrom: Instant,
  precision: Type.Union(LiteralUnion(['year', 'month', 'day', 'instant'] as const).anyOf),
  model: Type.Union(LiteralUnion(diffModels).anyOf, { description: 'The read model the row belongs to' }),
  key: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
    description: 'What identifies the row within its model, as in GET /v1/diff',
  }),
  before: Row,
  after: Row,
  eventId: Type.String({ format: 'uuid', description: 'The event of the subject that brought the change' }),
  recordedAt: Instant,
  source: SourceOfChange,
  retracted: Retracted,
  planned: Type.Boolean({
    description: 'True for a planned or announced fact: shown as a plan, it changes no in-effect row',
  }),
  status: NullableStatus,
})
export type HistoryChange = Static<typeof HistoryChangeSchema>

export const HistoryParams = Type.Object({
  subject: Type.String({ ...Slug, description: 'A company, product, alliance or any entity slug' }),
})

export const HistoryQuery = Type.Object(
  {
    knownAt: Type.Optional(KnownAt),
    reportedBy: Type.Optional(ReportedBy),
    from: Type.Optional(ValidFrom),
    to: Type.Optional(ValidTo),
    consistentWith: Type.Optional(ConsistentWith),
  },
  { additionalProperties: false },
)

export const HistoryAnswer = Type.Object({
  subject: Type.String(),
  knownAt: Instant,
  reportedBy: Type.Optional(Instant),
  changes: Type.Array(HistoryChangeSchema),
})
export type HistoryAnswerBody = Static<typeof HistoryAnswer>
