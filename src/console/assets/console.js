// @ts-check
// The console's entry: finds the session (GET /admin/v1/sessions/current), shows the sign-in page
// without one, and otherwise the page of the current path inside the layout (header, navigation,
// the tenant's tabs). Each page is a module in pages/ exporting render(ctx), loaded when first
// visited. docs/console.md describes the pages; docs/design.md "Console" says why it is built so.
import { api, ApiError, consoleUrl, prefix, setCsrfToken, whenSignedOut } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { interceptLinks, resolve } from './lib/router.js';
import { errorBox, link, showPage } from './lib/ui.js';

/**
 * What every page's render(ctx) receives.
 * @typedef {{
 *   params: Record<string, string>, query: URLSearchParams, path: string,
 *   session: Session,
 *   navigate: (path: string, opts?: { replace?: boolean }) => void,
 *   refresh: () => void,
 *   canWrite: boolean,
 * }} PageContext
 * @typedef {{ kind: 'admin' | 'setup', csrfToken: string, expiresAt: string, key?: { id: string, name: string, scope: string } }} Session
 */

/** @type {import('./lib/router.js').Route[]} */
const routes = [
  { pattern: '/', load: () => import('./pages/tenants.js') },
  { pattern: '/sign-in', load: () => import('./pages/sign-in.js') },
  { pattern: '/tenants', load: () => import('./pages/tenants.js') },
  { pattern: '/tenants/:tenant', load: () => import('./pages/tenant-overview.js') },
  { pattern: '/tenants/:tenant/scim', load: () => import('./pages/tenant-scim.js') },
  { pattern: '/tenants/:tenant/users', load: () => import('./pages/users.js') },
  { pattern: '/tenants/:tenant/users/:id', load: () => import('./pages/user.js') },
  { pattern: '/tenants/:tenant/groups', load: () => import('./pages/groups.js') },
  { pattern: '/tenants/:tenant/groups/:id', load: () => import('./pages/group.js') },
  { pattern: '/tenants/:tenant/requests', load: () => import('./pages/requests.js') },
  { pattern: '/tenants/:tenant/requests/:id', load: () => import('./pages/request.js') },
  { pattern: '/tenants/:tenant/sso', load: () => import('./pages/tenant-sso.js') },
  { pattern: '/tenants/:tenant/policies', load: () => import('./pages/policies.js') },
  { pattern: '/tenants/:tenant/attributes', load: () => import('./pages/attributes.js') },
  { pattern: '/tenants/:tenant/webhooks', load: () => import('./pages/webhooks.js') },
  { pattern: '/tenants/:tenant/events', load: () => import('./pages/events.js') },
  { pattern: '/tenants/:tenant/setup-links', load: () => import('./pages/setup-links.js') },
  { pattern: '/webhooks', load: () => import('./pages/webhooks.js') },
  { pattern: '/webhooks/:id', load: () => import('./pages/webhook.js') },
  { pattern: '/events', load: () => import('./pages/events.js') },
  { pattern: '/audit', load: () => import('./pages/audit.js') },
];

/** The tabs of a tenant's pages, in order: [path under /tenants/:tenant, label]. */
const TENANT_TABS = /** @type {const} */ ([
  ['', 'Overview'], ['/scim', 'SCIM setup'], ['/users', 'Users'], ['/groups', 'Groups'],
  ['/requests', 'Request log'], ['/sso', 'Single sign-on'], ['/policies', 'Policies'],
  ['/attributes', 'Custom attributes'], ['/webhooks', 'Webhooks'], ['/events', 'Events'], ['/setup-links', 'Setup links'],
]);

const app = /** @type {HTMLElement} */ (document.getElementById('app'));
/** @type {Session | null} */
let session = null;
let renderCount = 0;

/** @param {string} path console-relative, e.g. '/tenants/acme' @param {{ replace?: boolean }} [opts] */
function navigate(path, opts = {}) {
  const url = consoleUrl(path);
  if (opts.replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  void show();
}

/** The console-relative path and query of the current location. */
function currentPath() {
  const base = `${prefix}/console`;
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : '/';
  return (p || '/') + location.search;
}

async function loadSession() {
  try {
    /** @type {Session} */
    const s = await api('GET', '/sessions/current', { quietSignOut: true });
    if (s.kind !== 'admin') return null;
    setCsrfToken(s.csrfToken);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** @param {string} path @param {Record<string, string>} params */
function layout(path, params) {
  const s = /** @type {Session} */ (session);
  const signOut = h('button', {
    type: 'button', class: 'btn btn-plain',
    on: {
      click: () => {
        // Signed out here whatever the server answers (the session may be gone already).
        void api('DELETE', '/sessions/current').catch(() => {}).finally(() => { session = null; setCsrfToken(null); navigate('/sign-in'); });
      },
    },
  }, 'Sign out');
  /** @param {string} to @param {string} label @param {boolean} current */
  const navLink = (to, label, current) => h('a', { href: consoleUrl(to), 'aria-current': current ? 'page' : undefined }, label);
  const top = h('header', { class: 'top' },
    h('a', { class: 'brand', href: consoleUrl('/tenants') }, 'Rollcall'),
    h('nav', { 'aria-label': 'Console' },
      navLink('/tenants', 'Tenants', path === '/' || path.startsWith('/tenants')),
      navLink('/webhooks', 'Webhooks', path.startsWith('/webhooks')),
      navLink('/events', 'Events', path === '/events'),
      navLink('/audit', 'Audit log', path === '/audit')),
    h('div', { class: 'who' },
      h('span', null, 'Signed in with key ', h('strong', null, s.key?.name ?? '?'), s.key?.scope === 'read' ? ' (read only)' : null),
      signOut));
  /** @type {HTMLElement | null} */
  let tabs = null;
  if (params.tenant !== undefined) {
    const base = `/tenants/${encodeURIComponent(params.tenant)}`;
    const rest = path.slice(base.length);
    tabs = h('nav', { class: 'tabs', 'aria-label': `Tenant ${params.tenant}` },
      h('span', { class: 'tenant-name' }, link('/tenants', 'Tenants'), ' / ', h('strong', null, params.tenant)),
      h('ul', null, ...TENANT_TABS.map(([sub, label]) => h('li', null,
        navLink(base + sub, label, sub === '' ? rest === '' : rest === sub || rest.startsWith(`${sub}/`))))));
  }
  const main = h('main', { id: 'main', tabindex: -1 });
  replace(app, top, tabs, main);
  return main;
}

async function show() {
  const mine = ++renderCount;
  const path = currentPath();
  if (session === null) {
    try { session = await loadSession(); } catch (err) { replace(app, h('main', { id: 'main' }, errorBox(err, 'Could not reach the Rollcall server'))); return; }
  }
  // Without a session every path shows the sign-in page, which returns to that path (?next=).
  let target = path;
  if (!session) {
    const back = path.startsWith('/sign-in') ? new URL(path, 'http://x').searchParams.get('next') ?? '/tenants' : path;
    target = `/sign-in?next=${encodeURIComponent(back)}`;
    if (target !== path) history.replaceState(null, '', consoleUrl(target));
  }
  const found = resolve(routes, target);
  if (session && found?.route.pattern === '/sign-in') { navigate('/tenants', { replace: true }); return; }
  const params = found?.match.params ?? {};
  const main = session ? layout(found?.match.path ?? path, params) : (() => { const m = h('main', { id: 'main', tabindex: -1 }); replace(app, m); return m; })();
  if (!found) { replace(main, h('h1', null, 'Page not found'), h('p', null, 'No console page has this address. ', link('/tenants', 'Go to the tenants.'))); return; }
  /** @type {PageContext} */
  const ctx = {
    params, query: found.match.query, path: found.match.path,
    session: /** @type {Session} */ (session),
    navigate, refresh: () => { void show(); },
    canWrite: session?.key?.scope === 'admin',
  };
  // mine !== renderCount: a later navigation won.
  const shown = await showPage(main, async () => (await found.route.load()).render(ctx), () => mine === renderCount);
  if (shown && document.activeElement === document.body) main.focus({ preventScroll: true });
}

/** Called by the sign-in page once a session exists. @param {Session} s @param {string} next */
export function signedIn(s, next) {
  session = s;
  setCsrfToken(s.csrfToken);
  navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/tenants', { replace: true });
}

whenSignedOut(() => { session = null; setCsrfToken(null); void show(); });
interceptLinks(`${prefix}/console`, (p) => navigate(p));
addEventListener('popstate', () => { void show(); });
void show();
