import { keyText } from '../../src/diff/compare.js'
import type { Change } from '../../src/diff/schemas.js'
import type { ReportTable } from '../../src/reports/report.js'

/** One table, the columns of GET /v1/diff's CSV: the key as one line, before and after as JSON. */
export function changesTables({ changes }: { changes: readonly Change[] }): ReportTable[] {
  return [
    {
      name: 'changes',
      title: 'Changes',
      columns: [
        { key: 'model', title: 'Model' },
        { key: 'key', title: 'Key' },
        { key: 'change', title: 'Change' },
        { key: 'cause', title: 'Cause' },
        { key: 'before', title: 'Before' },
        { key: 'after', title: 'After' },
        { key: 'eventIds', title: 'Events' },
      ],
      rows: changes.map((c) => ({
        model: c.model,
        key: keyText(c.key),
        change: c.change,
        cause: c.cause,
        before: c.before === null ? null : JSON.stringify(c.before),
        after: c.after === null ? null : JSON.stringify(c.after),
        eventIds: c.eventIds.join(' '),
      })),
    },
  ]
}
