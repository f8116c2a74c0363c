import { Directory } from './directory.js'
import { readState, writeState } from './url-state.js'

/**
 * What the explorer knows besides what its panels draw: the view (as the address holds it), the
 * names, the market's time zone and how far the log has been read. The view changes only through
 * `change` and `restore`, so the address always says what is shown.
 */
export function createExplorer() {
  return {
    /** `asOf`, `knownAt`, `type`, `subject`, `kind`, `scale`, `products`, `compareFrom`, `compareTo`, `history`: see url-state.js. */
    view: readState(),
    directory: new Directory(),
    timeZone: 'UTC',
    /** The log position read up to: answers are asked consistent with it. */
    head: 0,
    /** Events recorded while a known-at view is open: not part of that view, only counted. */
    unseen: 0,

    /** Changes the view and records it in the address: a new history entry when `push`. */
    change(fields, { push }) {
      Object.assign(this.view, fields)
      writeState(this.view, { push })
    },

    /** Takes the view from the address again (the back button); answers the view it replaces. */
    restore() {
      const before = this.view
      this.view = readState()
      return before
    },

    timelineFilters() {
      const { type, subject, kind, knownAt } = this.view
      return { type, subject, kind, knownAt }
    },
  }
}
