// @ts-check
// Path routing for the console's pages: /console/tenants/acme/users is the route
// '/tenants/:tenant/users' with params { tenant: 'acme' }. The server answers index.html for every
// /console path, so any page can be reloaded or bookmarked; links inside the console are followed
// here (history.pushState) without reloading the page.

/**
 * @typedef {{ params: Record<string, string>, query: URLSearchParams, path: string }} Match
 * @typedef {{ pattern: string, load: () => Promise<{ render: (ctx: any) => Promise<Node> | Node }>, title?: string }} Route
 */

/**
 * @param {string} pattern like '/tenants/:tenant/users/:id'
 * @param {string} path like '/tenants/acme/users/42'
 * @returns {Record<string, string> | null}
 */
export function matchPath(pattern, path) {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  /** @type {Record<string, string>} */
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try { params[p[i].slice(1)] = decodeURIComponent(s[i]); } catch { return null; }
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

/**
 * Finds the route of a console-relative path ('/tenants/acme?x=1').
 * @param {Route[]} routes
 * @param {string} pathAndQuery
 * @returns {{ route: Route, match: Match } | null}
 */
export function resolve(routes, pathAndQuery) {
  const url = new URL(pathAndQuery, 'http://x');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, match: { params, query: url.searchParams, path } };
  }
  return null;
}

/**
 * Follows clicks on links into the console (same origin, under `base`) with `navigate` instead of a
 * page load; modified clicks (new tab) and other links behave as links do.
 * @param {string} base the console's URL path, e.g. '/console'
 * @param {(path: string) => void} navigate
 */
export function interceptLinks(base, navigate) {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = /** @type {Element | null} */ (e.target instanceof Element ? e.target : null)?.closest('a[href]');
    if (!(a instanceof HTMLAnchorElement) || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
    if (a.pathname !== base && !a.pathname.startsWith(`${base}/`)) return;
    if (a.pathname.startsWith(`${base}/assets/`)) return;
    e.preventDefault();
    navigate(a.pathname.slice(base.length) + a.search);
  });
}
