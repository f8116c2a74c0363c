/** Domain errors. Each maps to one HTTP problem type in src/api/problems.ts. */

export interface FieldError {
  readonly path: string
  readonly message: string
}

export abstract class DomainError extends Error {
  abstract readonly status: number
  abstract readonly title: string
  readonly errors: readonly FieldError[]

  constructor(detail: string, errors: readonly FieldError[] = []) {
    super(detail)
    this.name = new.target.name
    this.errors = errors
  }
}

/** Input that passed the schema but breaks a rule the schema cannot express. */
export class InvalidInput extends DomainError {
  readonly status = 400
  readonly title = 'Invalid input'
}

export class InvalidDate extends InvalidInput {
  constructor(path: string, value: string, reason: string) {
    super(`${path}: '${value}' is not a valid date (${reason})`, [{ path, message: reason }])
  }
}

/** A webhook URL that is not http(s) or leads into a private network. */
export class UnsafeWebhookUrl extends InvalidInput {
  constructor(path: string, reason: string) {
    super(`${path}: the URL ${reason}`, [{ path, message: `the URL ${reason}` }])
  }
}

/** `expectedVersion` did not match the subject's stream. Nothing was stored. */
export class ConcurrencyError extends DomainError {
  readonly status = 409
  readonly title = 'Version conflict'

  constructor(
    readonly index: number,
    readonly subject: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`subject '${subject}' is at version ${actualVersion}, not ${expectedVersion}; nothing was stored`, [
      {
        path: `/events/${index}/expectedVersion`,
        message: `expected version ${expectedVersion}, but '${subject}' is at version ${actualVersion}`,
      },
    ])
  }
}

/** An event id already stored with other content. Nothing was stored. */
export class IdConflict extends DomainError {
  readonly status = 409
  readonly title = 'Event id already used'

  constructor(
    readonly index: number,
    readonly id: string,
  ) {
    super(`event ${id} is already stored with different content; nothing was stored`, [
      { path: `/events/${index}/id`, message: 'this id is already stored with different content' },
    ])
  }
}

export class NotFound extends DomainError {
  readonly status = 404
  readonly title = 'Not found'
}

/** The request is valid but the resource's state does not allow it now. */
export class Conflict extends DomainError {
  readonly status = 409
  readonly title = 'Conflict'
}

export class DatabaseUnavailable extends DomainError {
  readonly status = 503
  readonly title = 'Database unavailable'
}

/** `consistentWith` asked for a position the read model has not applied within the wait. */
export class ReadModelBehind extends DomainError {
  readonly status = 503
  readonly title = 'Read model behind'
}

/** No key, or a key that is unknown or revoked. */
export class Unauthorized extends DomainError {
  readonly status = 401
  readonly title = 'Unauthorized'
}

/** A valid key without the scope the endpoint needs. */
export class Forbidden extends DomainError {
  readonly status = 403
  readonly title = 'Forbidden'
}

/** A report job's result was asked for before the job completed. */
export class ReportNotReady extends DomainError {
  readonly status = 409
  readonly title = 'Report not ready'
}

/**
 * The caller already has as many report jobs, or full-log reads, in progress as it may: a 429
 * until some finish. Nothing was queued.
 */
export class TooManyInProgress extends DomainError {
  readonly status = 429
  readonly title = 'Too many in progress'

  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail)
  }
}
