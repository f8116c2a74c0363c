import { InvalidInput } from '../errors.js'
import type { Catalogue } from './catalogue.js'

/** `type=price.*,entity.registered` as exact type names. A pattern that names no type is an error. */
export function resolveTypes(catalogue: Catalogue, filter: string): string[] {
  const names = new Set<string>()
  for (const pattern of filter.split(',')) {
    const matched = catalogue.typesMatching(pattern)
    if (matched.length === 0) {
      throw new InvalidInput(`type '${pattern}' matches no event type in the catalogue`, [
        { path: '/type', message: `'${pattern}' matches no event type` },
      ])
    }
    for (const name of matched) names.add(name)
  }
  return [...names]
}
