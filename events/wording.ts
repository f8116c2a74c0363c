/** Small wording helpers shared by the events' one-line summaries. */

/** Groups the integer digits of a decimal string: "300000000" → "300,000,000". No float on the way. */
export function groupDigits(decimal: string): string {
  const [whole = '', fraction] = decimal.split('.')
  const sign = whole.startsWith('-') ? '-' : ''
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}${digits}${fraction === undefined ? '' : `.${fraction}`}`
}

/** "over 1,000,000,000" / "about 20" / "105,000". */
export function qualified(value: string, qualifier: 'exact' | 'over' | 'about' | undefined): string {
  const grouped = groupDigits(value)
  return qualifier === 'over' ? `over ${grouped}` : qualifier === 'about' ? `about ${grouped}` : grouped
}

/** "A", "A and B", "A, B and C"; long lists end with "and N more". */
export function listOf(items: readonly string[], max = 6): string {
  if (items.length === 0) return 'nobody'
  const shown = items.length > max ? [...items.slice(0, max), `${items.length - max} more`] : [...items]
  if (shown.length === 1) return shown[0] ?? ''
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`
}

/** A percentage as `percentChange` gives it, signed for a summary: "-97.5" → "-97.5%", "12" → "+12%". */
export function signedPercent(percent: string): string {
  return `${percent.startsWith('-') || percent === '0' ? '' : '+'}${percent}%`
}
