import { DateTime } from 'luxon'
import { maxPosition } from '../catalogue/fields.js'
import { InvalidInput } from '../errors.js'

/**
 * Where a page of a list in valid-time order (the timeline, funding rounds) ended: the next page
 * starts after this (effectiveFrom, position), the order such lists are read in.
 */
export function encodeCursor(effectiveFrom: string, position: number): string {
  return Buffer.from(`${effectiveFrom}|${position}`).toString('base64url')
}

/**
 * Only what `encodeCursor` writes: an ISO instant (market dates lie in the years 0001–9999) and a
 * position a log can hold. A forged cursor is refused here, not inside the query (a bigint
 * overflow or a date PostgreSQL cannot take).
 */
const cursorPattern = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(0|[1-9]\d{0,15})$/

export function decodeCursor(cursor: string): { effectiveFrom: Date; position: number } {
  const [, iso = '', digits = ''] = cursorPattern.exec(Buffer.from(cursor, 'base64url').toString()) ?? []
  const parsed = DateTime.fromISO(iso, { zone: 'utc' })
  const position = Number(digits)
  if (!parsed.isValid || parsed.year < 1 || position > maxPosition) {
    throw new InvalidInput('next is not a cursor this service gave', [
      { path: '/next', message: 'unknown cursor' },
    ])
  }
  return { effectiveFrom: parsed.toJSDate(), position }
}
