import { Type } from 'typebox'
import { defineEventType } from '../src/catalogue/event-type.js'
import { Slug } from '../src/catalogue/fields.js'

export const allianceMemberJoined = defineEventType({
  type: 'alliance.member_joined',
  subject: 'the alliance',
  description: 'A member joined an alliance.',
  schema: Type.Object({ member: Slug }, { additionalProperties: false }),
  summary: ({ subject, data }, names) => `${names.name(data.member)} joined ${names.name(subject)}`,
})

export const allianceMemberLeft = defineEventType({
  type: 'alliance.member_left',
  subject: 'the alliance',
  description: 'A member left an alliance.',
  schema: Type.Object({ member: Slug }, { additionalProperties: false }),
  summary: ({ subject, data }, names) => `${names.name(data.member)} left ${names.name(subject)}`,
})
