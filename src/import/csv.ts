import type { Catalogue } from '../catalogue/catalogue.js'

/** The envelope fields a column may fill; `data.…` and `source.…` reach inside those objects. */
const envelopeFields = ['id', 'type', 'subject', 'occurredAt', 'expectedVersion'] as const

/** A field path as `--map` names it: `occurredAt`, `data.amount`, `data.amount.value`, `source.quote`. */
export function isFieldPath(field: string): boolean {
  if ((envelopeFields as readonly string[]).includes(field)) return true
  return /^(data|source)(\.[A-Za-z][A-Za-z0-9_]*)+$/.test(field)
}

/**
 * Which field each CSV column fills: `--map column=field,…`; a column not mapped fills the field
 * it is named after (`type`, `data.amount`); `--map column=` leaves a column out.
 */
export interface CellMapping {
  /** The field of a column, `null` for a column left out, undefined for one that names no field. */
  fieldOf(column: string): string | null | undefined
  /** Why a header cannot be read with this mapping, or undefined. */
  check(header: readonly string[]): string | undefined
}

/** `--map` as given; a problem with it is thrown as an Error naming the option. */
export function cellMapping(given: string | undefined): CellMapping {
  const mapped = new Map<string, string | null>()
  for (const part of (given ?? '').split(',')) {
    if (part.trim() === '') continue
    const at = part.indexOf('=')
    if (at <= 0) throw new Error(`--map: '${part}' is not column=field`)
    const column = part.slice(0, at).trim()
    const field = part.slice(at + 1).trim()
    if (field !== '' && !isFieldPath(field)) {
      throw new Error(
        `--map: '${field}' is not a field: use ${envelopeFields.join(', ')}, data.NAME or source.NAME`,
      )
    }
    mapped.set(column, field === '' ? null : field)
  }
  const fieldOf = (column: string) =>
    mapped.has(column) ? (mapped.get(column) ?? null) : isFieldPath(column) ? column : undefined
  return {
    fieldOf,
    check(header) {
      const unknown = header.filter((column) => fieldOf(column) === undefined)
      if (unknown.length > 0) {
        const first = unknown[0] as string
        return (
          `column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `'${c}'`).join(', ')} name${unknown.length > 1 ? '' : 's'} no field: ` +
          `map ${unknown.length > 1 ? 'them' : 'it'} with --map ${first}=data.${first} (or --map ${first}= to leave ${unknown.length > 1 ? 'them' : 'it'} out)`
        )
      }
      const missing = [...mapped.keys()].filter((column) => !header.includes(column))
      if (missing.length > 0)
        return `--map names column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}, not in the header`
      const fields = header.map(fieldOf).filter((f): f is string => typeof f === 'string')
      const twice = fields.find((f, i) => fields.indexOf(f) !== i)
      if (twice) return `two columns fill ${twice}`
      return undefined
    },
  }
}

type JsonSchema = {
  readonly type?: string
  readonly properties?: Record<string, JsonSchema>
  readonly items?: JsonSchema
}

/**
 * One CSV row as an event input. Cells are text; a cell whose field the event type's schema
 * declares a number, a boolean, an array or an object is read as one (an array: a JSON array, or
 * items separated by `;`), so that the check judges the value, not its spelling. Empty cells are
 * absent fields.
 */
export function csvEvent(
  header: readonly string[],
  record: readonly string[],
  catalogue: Catalogue,
  mapping: CellMapping,
): { input: Record<string, unknown>; columns: Map<string, string> } {
  const input: Record<string, unknown> = {}
  const columns = new Map<string, string>()
  const typeColumn = header.findIndex((column) => mapping.fieldOf(column) === 'type')
  const type = typeColumn >= 0 ? record[typeColumn] : undefined
  const dataSchema = (type ? catalogue.get(type)?.schema : undefined) as JsonSchema | undefined
  header.forEach((column, i) => {
    const field = mapping.fieldOf(column)
    const cell = record[i] ?? ''
    if (!field || cell === '') return
    const steps = field.split('.')
    columns.set(`/${steps.join('/')}`, column)
    let schema: JsonSchema | undefined =
      steps[0] === 'data' ? dataSchema : steps[0] === 'expectedVersion' ? { type: 'integer' } : undefined
    let target = input
    steps.forEach((step, n) => {
      if (n > 0 && steps[0] === 'data') schema = schema?.properties?.[step]
      if (n === steps.length - 1) {
        target[step] = cellValue(cell, schema)
        return
      }
      const inner = target[step]
      target[step] = typeof inner === 'object' && inner !== null ? inner : {}
      target = target[step] as Record<string, unknown>
    })
  })
  return { input, columns }
}

function cellValue(cell: string, schema: JsonSchema | undefined): unknown {
  switch (schema?.type) {
    case 'integer':
    case 'number':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(cell.trim()) ? Number(cell) : cell
    case 'boolean':
      return cell === 'true' ? true : cell === 'false' ? false : cell
    case 'array':
      if (cell.trim().startsWith('[')) return jsonOr(cell)
      return cell
        .split(';')
        .map((item) => item.trim())
        .filter((item) => item !== '')
        .map((item) => cellValue(item, schema.items))
    case 'object':
      return jsonOr(cell)
    default:
      return cell
  }
}

function jsonOr(cell: string): unknown {
  try {
    return JSON.parse(cell)
  } catch {
    return cell
  }
}
