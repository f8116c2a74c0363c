/** Builds DOM nodes from data without innerHTML, so text from the log is always text. */

const svgNamespace = 'http://www.w3.org/2000/svg'

/** An HTML element: attributes (`on*` functions become listeners) and children (strings are text). */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children)
}

/** An SVG element, the same way. */
export function s(tag, attributes = {}, ...children) {
  return build(document.createElementNS(svgNamespace, tag), attributes, children)
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value)
    } else {
      element.setAttribute(name, value === true ? '' : String(value))
    }
  }
  append(element, children)
  return element
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(element, child)
    else element.append(child instanceof Node ? child : String(child))
  }
}

/** Replaces every child of `element`. */
export function replaceChildren(element, ...children) {
  element.replaceChildren()
  append(element, children)
}

/** `lang="zh"` for text in Chinese characters, so it is read and rendered as Chinese. */
export function langOf(text) {
  return /\p{Script=Han}/u.test(text) ? 'zh' : undefined
}

/**
 * The address a link from the log may have: an absolute http(s) URL, normalised; undefined for
 * anything else (`javascript:`, `data:`, a relative path), which is then shown as no link at all.
 */
export function webAddress(text) {
  if (typeof text !== 'string') return undefined
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined
  } catch {
    return undefined
  }
}
