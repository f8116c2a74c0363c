import type { Report } from '../src/reports/report.js'
import { changes } from './changes.js'
import { funding } from './funding.js'
import { marketSnapshot } from './market-snapshot.js'
import { priceChanges } from './price-changes.js'

/** Every report the service computes by replaying the log. A new one is one file plus one line here. */
export const reports: readonly Report[] = [marketSnapshot, priceChanges, funding, changes]

export function findReport(name: string): Report | undefined {
  return reports.find((report) => report.name === name)
}
