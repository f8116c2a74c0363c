import { Type } from 'typebox'

export const FieldErrorSchema = Type.Object({
  path: Type.String({
    description: 'JSON pointer to the offending field (into the body, or /name for a query parameter)',
  }),
  message: Type.String(),
})

/** RFC 9457 problem details. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
    in: Type.Optional(
      Type.String({ description: 'Which part of the request was invalid: querystring, params' }),
    ),
    requestId: Type.Optional(Type.String()),
  },
  { description: 'application/problem+json' },
)
