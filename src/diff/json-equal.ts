/**
 * Deep equality of JSON values: objects by their properties whatever their order, arrays element
 * by element. `undefined` properties count as absent, as JSON.stringify leaves them out.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, i) => jsonEqual(item, b[i]))
  }
  const left = definedEntries(a)
  const right = new Map(definedEntries(b))
  if (left.length !== right.size) return false
  return left.every(([name, value]) => right.has(name) && jsonEqual(value, right.get(name)))
}

function definedEntries(value: object): [string, unknown][] {
  return Object.entries(value).filter(([, v]) => v !== undefined)
}
