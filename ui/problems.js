import { ApiError, isAbort, setApiKey } from './api.js'

/**
 * What went wrong, said on the page; an answer of 401 asks for an API key, and a key given
 * starts the explorer again (`onKey`). A request cancelled by a newer one is no problem. A
 * problem reported for a `part` of the page is taken down by `clear(part)` once that part has
 * been drawn again.
 */
export function wireProblems({ problem, keyForm, keyInput, onKey }) {
  let shownFor

  function report(error, part) {
    if (isAbort(error)) return
    shownFor = part
    if (error instanceof ApiError && error.status === 401) {
      keyForm.hidden = false
      keyInput.focus()
    }
    problem.hidden = false
    problem.textContent = `Something went wrong: ${error.message}`
  }

  function hide() {
    problem.hidden = true
    shownFor = undefined
  }

  function clear(part) {
    if (part !== undefined && shownFor === part) hide()
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault()
    setApiKey(keyInput.value.trim())
    keyForm.hidden = true
    onKey()
  })

  return { report, hide, clear }
}
