/**
 * The view's state lives in the address, so a view can be shared and the back button works:
 * `/?asOf=2024-06-30&knownAt=2024-07-01&type=price.changed&subject=qwen-long&scale=linear&products=a,b`,
 * `kind=all` (registrations shown in the timeline), `compareFrom=2024-04-30&compareTo=2024-06-30`
 * (two dates compared), `history=qwen-long` (that subject's history panel open, read as known at
 * the view's knownAt), and `#event=<id>` for one event. Defaults are left out.
 */

const defaults = {
  asOf: '',
  knownAt: '',
  type: '',
  subject: '',
  kind: '',
  scale: 'log',
  products: '',
  compareFrom: '',
  compareTo: '',
  history: '',
}

export function readState(location = window.location) {
  const params = new URLSearchParams(location.search)
  const state = { ...defaults }
  for (const name of Object.keys(defaults)) state[name] = params.get(name) ?? defaults[name]
  if (state.scale !== 'linear') state.scale = 'log'
  if (state.kind !== 'all') state.kind = ''
  return state
}

export function urlOf(state) {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(state)) {
    if (name in defaults && value && value !== defaults[name]) params.set(name, value)
  }
  const query = params.toString().replaceAll('%2C', ',')
  return `${window.location.pathname}${query ? `?${query}` : ''}`
}

/** Records the state in the address: a new history entry for a deliberate change, else in place. */
export function writeState(state, { push = false } = {}) {
  const url = `${urlOf(state)}${window.location.hash}`
  if (url === `${window.location.pathname}${window.location.search}${window.location.hash}`) return
  if (push) window.history.pushState(null, '', url)
  else window.history.replaceState(null, '', url)
}

/** The event an address points at (`#event=<id>`), if any. */
export function eventInHash(location = window.location) {
  const match = /^#event=([0-9a-fA-F-]{36})$/.exec(location.hash)
  return match?.[1]
}
