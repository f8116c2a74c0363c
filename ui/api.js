/** The public HTTP API, and nothing else: every request goes to this page's own origin. */

const keyStorage = 'market-timeline:api-key'

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`)
    this.status = status
    this.problem = problem
  }
}

/** Kept for this tab only: a key with the read scope, for services whose reads need one. */
export function setApiKey(key) {
  if (key) sessionStorage.setItem(keyStorage, key)
  else sessionStorage.removeItem(keyStorage)
}

/** Whether this tab holds a key: every request sends it, which an EventSource cannot. */
export function hasApiKey() {
  return sessionStorage.getItem(keyStorage) !== null
}

/**
 * GET a JSON answer. Empty parameters are left out. A 503 (read model behind, database restarting)
 * or 429 is retried after its Retry-After, a few times, before it is thrown.
 */
export async function getJson(path, params = {}, { signal } = {}) {
  const url = new URL(path, window.location.origin)
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value))
  }
  const headers = { accept: 'application/json' }
  const key = sessionStorage.getItem(keyStorage)
  if (key) headers.authorization = `Bearer ${key}`
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, { headers, signal })
    const body = await response.json().catch(() => null)
    if (response.ok) return body
    const retryable = response.status === 503 || response.status === 429
    if (!retryable || attempt >= 4) throw new ApiError(response.status, body)
    const seconds = Math.min(Number(response.headers.get('retry-after')) || 1, 5)
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    signal?.throwIfAborted()
  }
}

/**
 * GET every page of a paged list, following `next` until it is null, and answer the first page with
 * `field` holding the items of all of them.
 */
export async function getAllPages(path, field, params = {}, options = {}) {
  const first = await getJson(path, { ...params, limit: 1000 }, options)
  const items = [...first[field]]
  for (let next = first.next; next; ) {
    const page = await getJson(path, { ...params, limit: 1000, next }, options)
    items.push(...page[field])
    next = page.next
  }
  return { ...first, [field]: items, next: null }
}

export function isAbort(error) {
  return error?.name === 'AbortError'
}
