import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { LiteralUnion, Slug, Status, Text } from '../src/catalogue/fields.js'

/** How one entity stands to another: `from` (the subject) built on, integrates, … `to`. */
export const relationKinds = [
  'built-on',
  'integrates',
  'part-of',
  'invests-in',
  'supplies',
  'partner-of',
] as const

export type RelationKind = (typeof relationKinds)[number]

const wording: Readonly<Record<RelationKind, string>> = {
  'built-on': 'is built on',
  integrates: 'integrates',
  'part-of': 'is part of',
  'invests-in': 'invests in',
  supplies: 'supplies',
  'partner-of': 'is a partner of',
}

/** "is built on", "integrates", …: the relation read between its two entities. */
export function relationWording(kind: RelationKind): string {
  return wording[kind]
}

export const RelationKind = LiteralUnion(relationKinds)

export const relationEstablished = defineEventType({
  type: 'relation.established',
  subject: 'the `from` entity',
  description:
    'One entity came to stand in a relation to another: built on, integrates, part of, invests in, supplies, partner of.',
  schema: Type.Object(
    {
      to: Slug,
      kind: RelationKind,
      summary: Type.Optional(Text(2000)),
      status: Status(),
    },
    { additionalProperties: false },
  ),
  summary: ({ subject, data }, names) =>
    `${names.name(subject)} ${relationWording(data.kind)} ${names.name(data.to)}${data.summary ? `: ${data.summary}` : ''}`,
})
