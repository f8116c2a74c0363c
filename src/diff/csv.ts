import { csvField } from '../reports/formats.js'
import { keyText } from './compare.js'
import type { Change } from './schemas.js'

const columns = ['model', 'key', 'change', 'cause', 'before', 'after', 'eventIds'] as const

/**
 * RFC 4180, a header row then one line per change: the key as `product=qwen-long;component=input`,
 * before and after as JSON (empty when absent), the event ids separated by spaces.
 */
export function changesCsv(changes: readonly Change[]): string {
  const lines = [columns.join(',')]
  for (const c of changes) {
    const cells = [
      c.model,
      keyText(c.key),
      c.change,
      c.cause,
      c.before === null ? null : JSON.stringify(c.before),
      c.after === null ? null : JSON.stringify(c.after),
      c.eventIds.join(' '),
    ]
    lines.push(cells.map(csvField).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}
