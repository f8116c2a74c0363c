import { marketDateAt } from '../time/market-date.js'

/** The first instant of the market date given as `parameter`; undefined when none is given. */
export function startOfDate(
  parameter: string,
  value: string | undefined,
  marketTz: string,
): Date | undefined {
  return value === undefined ? undefined : marketDateAt(`/${parameter}`, value, marketTz).start.toJSDate()
}

/** The last instant of the market date given as `parameter` (a date means its end); undefined when none. */
export function endOfDate(parameter: string, value: string | undefined, marketTz: string): Date | undefined {
  return value === undefined ? undefined : marketDateAt(`/${parameter}`, value, marketTz).end.toJSDate()
}
