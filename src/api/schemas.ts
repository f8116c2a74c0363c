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
  { $id: 'Problem', title: 'Problem', description: 'RFC 9457 problem details' },
)

/** An error answer in a route's `response`: problem details, as `application/problem+json`. */
export function problemResponse(description = 'A problem (RFC 9457): what went wrong, and where') {
  return { description, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } }
}

export const ProblemResponse = problemResponse()
