import { describe, expect, it } from 'vitest'
import { domainTypeOf } from '../../src/api/problems.js'
import {
  ConcurrencyError,
  Conflict,
  DatabaseUnavailable,
  Forbidden,
  IdConflict,
  InvalidDate,
  InvalidInput,
  NotFound,
  ReadModelBehind,
  ReportNotReady,
  TooManyInProgress,
  Unauthorized,
  UnsafeWebhookUrl,
} from '../../src/errors.js'

const type = (name: string) => `tag:market-timeline,2024:problem/${name}`

describe('problem types of domain errors', () => {
  it('each domain error answers with its own problem type', () => {
    expect(domainTypeOf(new ConcurrencyError(0, 'qwen', 1, 2))).toBe(type('version-conflict'))
    expect(domainTypeOf(new IdConflict(0, 'x'))).toBe(type('id-conflict'))
    expect(domainTypeOf(new InvalidInput('bad'))).toBe(type('invalid-input'))
    expect(domainTypeOf(new NotFound('none'))).toBe(type('not-found'))
    expect(domainTypeOf(new Conflict('busy'))).toBe(type('conflict'))
    expect(domainTypeOf(new DatabaseUnavailable('down'))).toBe(type('database-unavailable'))
    expect(domainTypeOf(new ReadModelBehind('behind'))).toBe(type('read-model-behind'))
    expect(domainTypeOf(new Unauthorized('who'))).toBe(type('unauthorized'))
    expect(domainTypeOf(new Forbidden('no'))).toBe(type('forbidden'))
    expect(domainTypeOf(new ReportNotReady('wait'))).toBe(type('report-not-ready'))
    expect(domainTypeOf(new TooManyInProgress('later', 5))).toBe(type('too-many-in-progress'))
  })

  it('a kind of invalid input with a type of its own answers with it, not its parent’s', () => {
    expect(domainTypeOf(new InvalidDate('/occurredAt', '2024-02-30', 'no such day'))).toBe(
      type('invalid-date'),
    )
    expect(domainTypeOf(new UnsafeWebhookUrl('/url', 'leads into a private network'))).toBe(
      type('unsafe-webhook-url'),
    )
  })

  it('a kind of error without a type of its own answers with its nearest ancestor’s', () => {
    class StaleCursor extends InvalidDate {}
    class ReplayBusy extends Conflict {}
    expect(domainTypeOf(new StaleCursor('/next', 'x', 'old'))).toBe(type('invalid-date'))
    expect(domainTypeOf(new ReplayBusy('busy'))).toBe(type('conflict'))
  })

  it('the type does not depend on class names, which a minifier may change', () => {
    class Renamed extends NotFound {}
    Object.defineProperty(Renamed, 'name', { value: 'ConcurrencyError' })
    expect(domainTypeOf(new Renamed('gone'))).toBe(type('not-found'))
  })
})
