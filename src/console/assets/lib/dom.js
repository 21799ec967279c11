// @ts-check
// Building the page: h() makes elements from a tag, properties and children. Data is only ever
// set as text (strings become text nodes), never parsed as HTML, so nothing a tenant, an IdP or a
// user sent can become markup or script (the console's only defence need not be the CSP).

/**
 * @typedef {Node | string | number | null | undefined | false} Child
 * @typedef {Child | Child[]} Children
 * @typedef {Record<string, unknown> & { class?: string, dataset?: Record<string, string>, on?: Record<string, (e: any) => void> }} Props
 */

/**
 * h('button', { type: 'button', on: { click } }, 'Save') → <button type="button">Save</button>.
 * Props: `class`, `dataset`, `on` (event listeners), `aria-*`/`data-*`/`for`/`role` as attributes,
 * booleans as present/absent attributes, everything else as a property (value, checked, ...).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') el.className = /** @type {string} */ (v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'on') for (const [type, fn] of Object.entries(/** @type {Record<string, EventListener>} */ (v))) el.addEventListener(type, fn);
    else if (typeof v === 'boolean' && (k.startsWith('aria-') || k.startsWith('data-'))) el.setAttribute(k, String(v));
    else if (typeof v === 'boolean') { if (v) el.setAttribute(k, ''); else el.removeAttribute(k); }
    else if (k.includes('-') || k === 'for' || k === 'role' || k === 'href' || k === 'scope' || k === 'colspan') el.setAttribute(k, /** @type {string} */ (v));
    else /** @type {any} */ (el)[k] = v;
  }
  append(el, children);
  return el;
}

/**
 * Appends children (flattening arrays, skipping null/undefined/false) as nodes or text.
 * @param {Node} parent
 * @param {Children[]} children
 */
export function append(parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(c instanceof Node ? c : document.createTextNode(typeof c === 'number' ? String(c) : /** @type {string} */ (c)));
  }
}

/**
 * Replaces an element's content.
 * @param {Element} el
 * @param {...Children} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A fragment of several children, for render functions that return more than one node.
 * @param {...Children} children
 */
export function fragment(...children) {
  const f = document.createDocumentFragment();
  append(f, children);
  return f;
}

let ids = 0;
/** A unique element id, for label/aria wiring. @param {string} [prefix] */
export const uid = (prefix = 'c') => `${prefix}-${++ids}`;
