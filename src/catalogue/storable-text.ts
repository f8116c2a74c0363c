import type { ErrorObject } from 'ajv'

/**
 * Text PostgreSQL cannot take. It refuses NUL (U+0000) in `text` and in `jsonb`; a lone UTF-16
 * surrogate ("\ud800" in JSON) has no UTF-8 form, so `jsonb` refuses its escape and a `text`
 * column would silently store U+FFFD instead. Either is refused with the request, against the
 * field it is in, before any statement sees it.
 */
const loneSurrogates = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

export function unstorableTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000)'
  if (text.search(loneSurrogates) >= 0) return 'must not contain a lone UTF-16 surrogate (such as \\ud800)'
  return undefined
}

/**
 * The same text as PostgreSQL can keep it, for text that is not ours to refuse (a webhook
 * receiver's answer, an error message): NUL and each lone surrogate become U+FFFD, the
 * replacement character, as an undecodable byte already does.
 */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(loneSurrogates, '\ufffd')
}

const MAX_FOUND = 50

/**
 * Every string in a parsed request part (values and property names) that PostgreSQL cannot take,
 * as Ajv-shaped errors at its JSON pointer. A loop, not recursion: a deeply nested body cannot
 * exhaust the stack.
 */
export function findUnstorableText(value: unknown): ErrorObject[] {
  const found: ErrorObject[] = []
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: '' }]
  for (let next = pending.pop(); next && found.length < MAX_FOUND; next = pending.pop()) {
    const { value, path } = next
    if (typeof value === 'string') {
      const message = unstorableTextProblem(value)
      if (message) found.push(textError(path, message))
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push({ value: value[i], path: `${path}/${i}` })
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value).reverse()) {
        const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
        const message = unstorableTextProblem(key)
        if (message) found.push(textError(at, `the property name ${message}`))
        pending.push({ value: item, path: at })
      }
    }
  }
  return found
}

function textError(instancePath: string, message: string): ErrorObject {
  return { keyword: 'storableText', instancePath, schemaPath: '#', params: {}, message }
}
