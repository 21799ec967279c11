// @ts-check
// The console's building blocks. Every control made here has a visible label or an accessible
// name (the browser tests find controls by role and name, and run axe-core over each page), every
// error is shown in words, and every long list pages (pager()).
import { ApiError, consoleUrl } from './api.js';
import { h, replace, uid } from './dom.js';

/** @typedef {import('./dom.js').Children} Children */

/**
 * The page's heading (and the document title), with actions beside it.
 * @param {string} title
 * @param {...Children} actions
 */
export function pageTitle(title, ...actions) {
  document.title = `${title} · Rollcall`;
  return h('header', { class: 'page-head' }, h('h1', null, title), actions.length ? h('div', { class: 'actions' }, ...actions) : null);
}

/** A link to a console page ('/tenants/acme'). @param {string} path @param {...Children} children */
export const link = (path, ...children) => h('a', { href: consoleUrl(path) }, ...children);

/**
 * An error in words: an ApiError's detail (the admin API words them for the reader), or a generic
 * sentence for anything else. Announced to screen readers (role=alert).
 * @param {unknown} err
 * @param {string} [context] what was being done, e.g. 'Could not create the token'
 */
export function errorBox(err, context) {
  const message = err instanceof ApiError ? err.message
    : err instanceof Error ? `Something went wrong in the console: ${err.message}`
    : 'Something went wrong.';
  const field = err instanceof ApiError && typeof err.problem.field === 'string' ? err.problem.field : null;
  return h('div', { class: 'error', role: 'alert' },
    context ? h('strong', null, `${context}: `) : null,
    message,
    field ? h('span', { class: 'field-name' }, ` (field: ${field})`) : null);
}

/**
 * Shows a page in `main`: busy while `render` runs, then its node, or an error box when it fails;
 * nothing when `current()` says a later navigation has taken over meanwhile. The console's and
 * the setup page's routers both render so. True when the page was shown and is still current.
 * @param {HTMLElement} main
 * @param {() => Promise<Node>} render
 * @param {() => boolean} current
 */
export async function showPage(main, render, current) {
  main.setAttribute('aria-busy', 'true');
  try {
    const node = await render();
    if (!current()) return false;
    replace(main, node);
  } catch (err) {
    if (!current()) return false;
    replace(main, errorBox(err, 'This page could not be shown'));
  } finally {
    main.removeAttribute('aria-busy');
  }
  return current();
}

/** What to show when a list is empty: what it means and what to do next. @param {string} text @param {...Children} actions */
export const emptyState = (text, ...actions) => h('div', { class: 'empty' }, h('p', null, text), ...actions);

/** @param {string} text @param {'ok' | 'warn' | 'bad' | 'info' | 'muted'} [kind] */
export const badge = (text, kind = 'info') => h('span', { class: `badge badge-${kind}` }, text);

/**
 * A time, shown in the reader's locale, with the exact ISO time as its title and datetime.
 * @param {string | null | undefined} iso
 */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  return h('time', { dateTime: iso, title: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

/** A live region for short announcements ("Copied"). */
const live = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
/** @param {string} text */
export function announce(text) {
  if (!live.isConnected) document.body.appendChild(live);
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 50);
}

/**
 * A button that copies `value`; its accessible name says what it copies.
 * @param {string} value
 * @param {string} what e.g. 'SCIM base URL'
 */
export function copyButton(value, what) {
  const b = h('button', {
    type: 'button', class: 'copy', 'aria-label': `Copy ${what}`,
    on: {
      click: () => {
        navigator.clipboard.writeText(value).then(
          () => { b.textContent = 'Copied'; announce(`${what} copied`); },
          () => { b.textContent = 'Select and copy it'; announce(`Could not copy: select the ${what} and copy it`); });
        setTimeout(() => { b.textContent = 'Copy'; }, 2000);
      },
    },
  }, 'Copy');
  return b;
}

/**
 * A value to copy into another system (a URL, an entity id), read-only, with its label and a copy button.
 * @param {string} label
 * @param {string} value
 * @param {string} [hint]
 */
export function copyField(label, value, hint) {
  const id = uid('copy');
  return h('div', { class: 'copy-field' },
    h('label', { for: id }, label),
    h('div', { class: 'copy-row' }, h('input', { id, type: 'text', readOnly: true, value, class: 'mono', on: { focus: (e) => e.target.select() } }), copyButton(value, label)),
    hint ? h('p', { class: 'hint' }, hint) : null);
}

/** A label inside a sentence: "Setup link" → "setup link", but "SCIM token" stays. @param {string} label */
const inSentence = (label) => (/^[A-Z][a-z]/.test(label) ? label[0].toLowerCase() + label.slice(1) : label);

/**
 * A secret shown once (a token, a webhook secret, a setup link): the value, a copy button and the
 * warning that it will not be shown again.
 * @param {string} label
 * @param {string} value
 * @param {string} [extra] what to do with it
 */
export function secretOnce(label, value, extra) {
  return h('section', { class: 'secret', 'aria-label': label },
    h('p', { class: 'warn' }, h('strong', null, 'Shown once. '), `Copy the ${inSentence(label)} now: Rollcall stores only its hash and cannot show it again.`),
    copyField(label, value, extra));
}

/**
 * A labelled form control. `control` is an input, select or textarea; it gets an id if it has none.
 * @param {string} label
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  /** @type {HTMLElement | null} */
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/**
 * @param {{ name: string, value?: string, type?: string, required?: boolean, placeholder?: string, autocomplete?: string, maxLength?: number }} o
 */
export const input = (o) => h('input', { type: o.type ?? 'text', name: o.name, value: o.value ?? '', required: o.required ?? false, placeholder: o.placeholder, autocomplete: o.autocomplete ?? 'off', maxLength: o.maxLength });

/**
 * @param {string} name
 * @param {Array<[string, string]>} options [value, label] pairs
 * @param {string} [value]
 */
export function select(name, options, value) {
  const s = h('select', { name }, ...options.map(([v, l]) => h('option', { value: v }, l)));
  if (value !== undefined) s.value = value;
  return s;
}

/**
 * @param {string} text
 * @param {() => unknown} [onClick]
 * @param {{ kind?: 'primary' | 'danger' | 'plain', type?: 'button' | 'submit', label?: string }} [o]
 */
export const button = (text, onClick, o = {}) => h('button', {
  type: o.type ?? 'button', class: `btn btn-${o.kind ?? 'plain'}`, 'aria-label': o.label,
  on: onClick ? { click: () => { void onClick(); } } : undefined,
}, text);

/**
 * A form whose submit runs `onSubmit(values)`; while it runs the submit button is disabled; an
 * error is shown in words above the buttons, and the form stays filled in so nothing typed is lost.
 * @param {{ label: string, submit: string, onSubmit: (values: Record<string, string>, form: HTMLFormElement) => Promise<unknown> | unknown, danger?: boolean }} o
 * @param {...Children} fields
 */
export function form(o, ...fields) {
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: `btn ${o.danger ? 'btn-danger' : 'btn-primary'}` }, o.submit);
  const f = h('form', {
    'aria-label': o.label, novalidate: false,
    on: {
      submit: (/** @type {SubmitEvent} */ e) => { e.preventDefault(); void run(); },
    },
  }, ...fields, status, h('div', { class: 'form-actions' }, submit));
  const run = async () => {
    replace(status);
    submit.disabled = true;
    try {
      /** @type {Record<string, string>} */
      const values = {};
      for (const [k, v] of new FormData(f)) if (typeof v === 'string') values[k] = v;
      await o.onSubmit(values, f);
    } catch (err) {
      replace(status, errorBox(err));
    } finally {
      submit.disabled = false;
    }
  };
  return f;
}

/**
 * A table with a caption (its accessible name) and column headers.
 * @template T
 * @param {{ caption: string, columns: Array<{ label: string, cell: (row: T) => Children, class?: string }>, rows: T[], captionHidden?: boolean }} o
 */
export function table(o) {
  return h('table', null,
    h('caption', { class: o.captionHidden ? 'visually-hidden' : undefined }, o.caption),
    h('thead', null, h('tr', null, ...o.columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h('tbody', null, ...o.rows.map((r) => h('tr', null, ...o.columns.map((c) => h('td', { class: c.class }, c.cell(r)))))));
}

/**
 * A cursor-paged list: loads a page with `load(after)` ({ data, next } from the admin API, or
 * { items, next }), renders its rows with `render(rows)`, and offers Previous / Next page. Errors
 * are shown in place; `empty` is shown when the first page has nothing.
 * @template T
 * @param {{ load: (after: string | undefined) => Promise<{ data?: T[], items?: T[], next?: string | null }>, render: (rows: T[]) => Node, empty: () => Node, label: string }} o
 * @returns {HTMLElement}
 */
export function pager(o) {
  const box = h('div', { class: 'pager' });
  /** @type {Array<string | undefined>} */
  const stack = [];
  /** @param {string | undefined} after */
  const show = async (after) => {
    box.setAttribute('aria-busy', 'true');
    try {
      const page = await o.load(after);
      const rows = page.data ?? page.items ?? [];
      const prev = stack.length > 0;
      const next = page.next ?? null;
      replace(box,
        rows.length === 0 && !prev ? o.empty() : o.render(rows),
        (prev || next) ? h('nav', { class: 'pager-nav', 'aria-label': `${o.label} pages` },
          button('Previous page', () => show(stack.pop()), { label: `Previous page of ${o.label}` }),
          button('Next page', () => { stack.push(after); return show(next ?? undefined); }, { label: `Next page of ${o.label}` })) : null);
      const [p, n] = box.querySelectorAll('.pager-nav button');
      if (p instanceof HTMLButtonElement) p.disabled = !prev;
      if (n instanceof HTMLButtonElement) n.disabled = !next;
    } catch (err) {
      replace(box, errorBox(err, `Could not load ${o.label}`));
    } finally {
      box.removeAttribute('aria-busy');
    }
  };
  void show(undefined);
  return box;
}

/**
 * A section with a heading (h2), for the parts of a page.
 * @param {string} title
 * @param {...Children} children
 */
export const section = (title, ...children) => {
  const id = uid('s');
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
};

/**
 * Renders into `el` what `load` resolves to, with a loading line meanwhile and the error in words
 * if it fails. For parts of a page that load on their own.
 * @param {string} what e.g. 'tokens'
 * @param {() => Promise<Node>} load
 */
export function async(what, load) {
  const el = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, `Loading ${what}…`));
  load().then((n) => replace(el, n), (err) => replace(el, errorBox(err, `Could not load ${what}`))).finally(() => el.removeAttribute('aria-busy'));
  return el;
}
