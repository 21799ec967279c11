// @ts-check
// The customer's setup page (a setup link: docs/setup-link-guide.md). The link carries its token in
// the fragment (/setup/#rcl_…, never sent to any server, so never in a proxy's log). The token is
// read once, the address is replaced with /setup at once (so it stays
// in neither the address bar nor the history), and exchanged for a setup session cookie (POST
// /admin/v1/setup/sessions); from then on the page works with the cookie like the console does, and
// a reload finds the session again (GET /admin/v1/sessions/current). A link that is expired,
// revoked, used up or unknown shows a page saying so, and nothing else.
// Pages are modules in setup/ exporting render(ctx); the path under /setup picks one.
import { api, ApiError, prefix, setCsrfToken, whenSignedOut } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { errorBox, showPage } from './lib/ui.js';

/**
 * @typedef {{ linkId: string, tenant: { id: string, slug: string, name: string }, purposes: Array<'scim' | 'sso'>, note?: string | null, expiresAt: string }} SetupInfo
 * @typedef {{ kind: 'admin' | 'setup', csrfToken: string, expiresAt: string, setup?: SetupInfo }} SetupSession
 * @typedef {{
 *   session: SetupSession, setup: SetupInfo, slug: string,
 *   navigate: (page: string) => void,
 * }} SetupContext
 */

/** @type {Record<string, () => Promise<{ render: (ctx: SetupContext) => Promise<Node> | Node }>>} */
const PAGES = {
  '': () => import('./setup/choose.js'),
  okta: () => import('./setup/okta.js'),
  entra: () => import('./setup/entra.js'),
  done: () => import('./setup/done.js'),
};

const base = `${prefix}/setup`;
const app = /** @type {HTMLElement} */ (document.getElementById('app'));
/** @type {SetupSession | null} */
let session = null;
let renders = 0;

/** The token of the address, if it carries one; the address is replaced with /setup straight away. */
function takeToken() {
  // Only from the fragment, which the browser never sends to a server (nor to a proxy's log):
  // Rollcall makes its links so, and a token pasted into the path is not taken.
  const token = location.hash.startsWith('#rcl_') ? location.hash.slice(1) : null;
  if (token !== null) history.replaceState(null, '', base);
  return token === null ? null : decodeURIComponent(token);
}

/** The page name of the address: /setup/okta → 'okta'. */
function currentPage() {
  const rest = location.pathname.startsWith(`${base}/`) ? location.pathname.slice(base.length + 1) : '';
  return rest.replace(/\/+$/, '');
}

/** @param {string} page */
function navigate(page) {
  history.pushState(null, '', page ? `${base}/${page}` : base);
  void show();
}

/**
 * The page for a link that opens nothing (any more), in words, with nothing else on it.
 * @param {'expired' | 'revoked' | 'completed' | 'unknown' | 'none' | 'ended'} reason
 */
export function endedPage(reason) {
  const words = {
    expired: ['This setup link has expired', 'Setup links work for a limited time. Ask the person who sent it to you for a new one.'],
    revoked: ['This setup link was revoked', 'It no longer opens anything. Ask the person who sent it to you for a new one.'],
    completed: ['This setup link has been used', 'The setup it opened was finished, so the link no longer opens anything. If you need to change something, ask the person who sent it to you for a new link.'],
    unknown: ['This setup link is not valid', 'Check that you copied the whole link. If it still does not open, ask the person who sent it to you for a new one.'],
    none: ['Open your setup link', 'This page opens with the setup link you were sent. Open that link again, or ask the person who sent it to you for a new one.'],
    ended: ['Your setup session has ended', 'The setup link was revoked or has expired, or the session timed out. Open the link again; if it no longer works, ask the person who sent it to you for a new one.'],
  }[reason];
  document.title = `${words[0]} · Setup`;
  return h('main', { id: 'main', tabindex: -1, class: 'setup-ended' }, h('h1', null, words[0]), h('p', null, words[1]));
}

/** @param {unknown} err */
function endedReason(err) {
  if (!(err instanceof ApiError)) return null;
  const reason = err.problem.reason;
  if (err.status === 410 && (reason === 'expired' || reason === 'revoked' || reason === 'completed')) return reason;
  if (err.status === 404) return 'unknown';
  return null;
}

/** @param {...import('./lib/dom.js').Children} children */
function showMain(...children) {
  const main = h('main', { id: 'main', tabindex: -1 }, ...children);
  replace(app, main);
  return main;
}

async function start() {
  const token = takeToken();
  try {
    if (token !== null) {
      session = await api('POST', '/setup/sessions', { body: { token }, quietSignOut: true });
    } else {
      /** @type {SetupSession} */
      const s = await api('GET', '/sessions/current', { quietSignOut: true });
      session = s.kind === 'setup' ? s : null;
    }
  } catch (err) {
    const reason = endedReason(err);
    if (reason) { replace(app, endedPage(reason)); return; }
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) { replace(app, endedPage('none')); return; }
    showMain(h('h1', null, 'The setup page could not be opened'), errorBox(err));
    return;
  }
  if (!session?.setup) { replace(app, endedPage('none')); return; }
  setCsrfToken(session.csrfToken);
  // A request that finds the session gone (revoked, expired): the ended page, and nothing else.
  whenSignedOut(() => { session = null; setCsrfToken(null); renders++; replace(app, endedPage('ended')); });
  addEventListener('popstate', () => { void show(); });
  await show();
}

async function show() {
  const mine = ++renders;
  const s = /** @type {SetupSession} */ (session);
  const setup = /** @type {SetupInfo} */ (s.setup);
  const page = currentPage();
  const load = PAGES[page];
  const top = h('header', { class: 'top' },
    h('span', { class: 'brand' }, `Set up ${setup.tenant.name || setup.tenant.slug}`),
    h('span', { class: 'who' }, 'Setup link valid until ', h('time', { dateTime: setup.expiresAt }, new Date(setup.expiresAt).toLocaleString())));
  const main = h('main', { id: 'main', tabindex: -1, 'aria-busy': 'true' });
  replace(app, top, main);
  if (!load) {
    replace(main, h('h1', null, 'Page not found'), h('p', null, 'This setup page has no such step. ', h('a', { href: base, on: { click: (/** @type {MouseEvent} */ e) => { e.preventDefault(); navigate(''); } } }, 'Go to the start.')));
    main.removeAttribute('aria-busy');
    return;
  }
  if (await showPage(main, async () => (await load()).render({ session: s, setup, slug: setup.tenant.slug, navigate }), () => mine === renders)) {
    main.focus({ preventScroll: true });
  }
}

void start();
