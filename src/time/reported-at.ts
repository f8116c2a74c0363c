import { type RawBuilder, sql } from 'kysely'
import { parseMarketDate } from './market-date.js'

/**
 * When a fact became public, for `reportedBy`: the END of its source's `publishedAt` read in the
 * market time zone — a fact published "2024-06" was public only once June was over, as far as
 * anyone can tell from the date given — or, without a publication date, when it was recorded.
 * The same rule is written twice, here for the replay and `apply`, and in SQL below for
 * `applyFromLog`; test/projections/reported-by.test.ts holds them equal.
 */
export function reportedInstant(
  event: { readonly recordedAt: string; readonly source?: { readonly publishedAt?: string } | undefined },
  marketTz: string,
): string {
  const published = event.source?.publishedAt
  const date = published === undefined ? undefined : parseMarketDate(published, marketTz)
  // The catalogue validated publishedAt when the event was written: undefined only without one.
  return date ? (date.end.toUTC().toISO() ?? event.recordedAt) : event.recordedAt
}

/** `reportedInstant` in epoch milliseconds, as the replay compares instants. */
export function reportedMillis(
  publishedAt: string | null | undefined,
  recordedAt: number,
  marketTz: string,
): number {
  const date = publishedAt == null ? undefined : parseMarketDate(publishedAt, marketTz)
  return date ? date.end.toMillis() : recordedAt
}

/**
 * `reportedInstant` as one SQL expression over a `publishedAt` text and a `recorded_at`: a year,
 * month or day ends a millisecond before the next one starts, at midnight in the market time zone
 * (luxon's `endOf`); an instant is itself.
 */
export function reportedAtSql(
  publishedAt: RawBuilder<unknown>,
  recordedAt: RawBuilder<unknown>,
  marketTz: string,
): RawBuilder<Date> {
  const p = publishedAt
  const end = (text: RawBuilder<unknown>, period: string) =>
    sql`((${text})::timestamp + ${sql.lit(`1 ${period}`)}::interval) at time zone ${marketTz} - interval '1 millisecond'`
  return sql<Date>`(case
    when ${p} is null then ${recordedAt}
    when ${p} ~ '^[0-9]{4}$' then ${end(sql`${p} || '-01-01'`, 'year')}
    when ${p} ~ '^[0-9]{4}-[0-9]{2}$' then ${end(sql`${p} || '-01'`, 'month')}
    when ${p} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then ${end(p, 'day')}
    else date_trunc('milliseconds', (${p})::timestamptz)
  end)`
}
