// @ts-check
// A tenant's SCIM health at a glance: the day's 24 hours as bars of requests with their errors in
// front (GET /admin/v1/tenants/{t}/health `hourly`). Drawn as SVG made with createElementNS, sized
// and coloured by SVG attributes only: the console's CSP forbids style attributes. The picture has
// a text alternative (role=img and a label saying the totals and the busiest hour), and each bar a
// title with its hour and counts.
import { api, seg } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const REQUESTS = '#0b4f8a';
const ERRORS = '#a40e26';
const BASE = '#8c959f';

/**
 * @typedef {{ start: string, requests: number, errors: number }} Hour
 * @typedef {{ lastRequestAt: string | null, recording: boolean, hourly: Hour[],
 *   lastHour: { requests: number, clientErrors: number, serverErrors: number, errorRate: number | null },
 *   last24Hours: { requests: number, clientErrors: number, serverErrors: number, errorRate: number | null },
 *   identityProvider: { id: string | null, name: string | null, userAgent: string | null, lastSeenAt: string } | null,
 *   lastError: { id: number, at: string, method: string, path: string, status: number, scimType: string | null, detail: string | null, reason: string | null, requestId: string } | null,
 * }} Health
 */

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** '09:00' in the reader's time zone. @param {Date} d */
const hhmm = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** @param {number} n @param {string} one @param {string} many */
export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * The text alternative of a day of hours: totals, and the busiest hour.
 * @param {Hour[]} hours
 */
export function describeHours(hours) {
  const requests = hours.reduce((n, b) => n + b.requests, 0);
  const errors = hours.reduce((n, b) => n + b.errors, 0);
  if (requests === 0) return 'No SCIM requests in the last 24 hours.';
  const busiest = hours.reduce((a, b) => (b.requests > a.requests ? b : a));
  return `Last 24 hours: ${plural(requests, 'request', 'requests')}, ${plural(errors, 'error', 'errors')}; busiest hour from ${hhmm(new Date(busiest.start))}: ${plural(busiest.requests, 'request', 'requests')}.`;
}

/**
 * The bar chart of requests (blue) and errors (red, in front) per hour.
 * @param {Hour[]} hours 24 entries, oldest first
 * @param {{ size?: 'small' | 'large', label?: string }} [o]
 * @returns {SVGSVGElement}
 */
export function hourlyChart(hours, o = {}) {
  const large = o.size === 'large';
  const bar = large ? 20 : 4;
  const gap = large ? 4 : 1;
  const height = large ? 120 : 24;
  const labels = large ? 18 : 0;
  const width = hours.length * (bar + gap) - gap;
  const max = Math.max(1, ...hours.map((b) => b.requests));
  /** Bar height of a count: at least a pixel for anything above zero. @param {number} n */
  const hOf = (n) => (n === 0 ? 0 : Math.max(1, Math.round((n / max) * height)));
  const label = o.label ?? describeHours(hours);
  const root = /** @type {SVGSVGElement} */ (svg('svg', {
    width, height: height + 1 + labels, viewBox: `0 0 ${width} ${height + 1 + labels}`, role: 'img', 'aria-label': label, class: `chart chart-${large ? 'large' : 'small'}`,
  }, svg('title', {}, label)));
  hours.forEach((b, i) => {
    const x = i * (bar + gap);
    const from = new Date(b.start);
    const to = new Date(from.getTime() + 3600_000);
    const g = svg('g', {}, svg('title', {}, `${hhmm(from)}–${hhmm(to)}: ${plural(b.requests, 'request', 'requests')}, ${plural(b.errors, 'error', 'errors')}`));
    // A transparent full-height target, so each hour's title shows wherever the pointer is in its column.
    g.append(svg('rect', { x, y: 0, width: bar, height, fill: 'transparent' }));
    const rh = hOf(b.requests);
    if (rh) g.append(svg('rect', { x, y: height - rh, width: bar, height: rh, fill: REQUESTS }));
    const eh = hOf(b.errors);
    if (eh) g.append(svg('rect', { x, y: height - eh, width: bar, height: eh, fill: ERRORS }));
    root.append(g);
  });
  root.append(svg('rect', { x: 0, y: height, width, height: 1, fill: BASE }));
  if (large) {
    const y = height + labels - 4;
    root.append(svg('text', { x: 0, y, 'font-size': 12, fill: '#57606a' }, '24 h ago'));
    root.append(svg('text', { x: width, y, 'font-size': 12, fill: '#57606a', 'text-anchor': 'end' }, 'now'));
  }
  return root;
}

/**
 * Runs at most `n` of the given tasks at once (health for a page of up to 50 tenants: a few
 * requests at a time, not 50 at once).
 * @param {number} n
 */
export function limiter(n) {
  let running = 0;
  /** @type {Array<() => void>} */
  const waiting = [];
  /**
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  return async function run(task) {
    if (running >= n) await new Promise((resolve) => { waiting.push(() => resolve(undefined)); });
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Health requests of the console: six at a time, shared by every page. */
const healthQueue = limiter(6);

/**
 * A tenant's health (GET …/health), queued behind at most five others.
 * @param {string} slug
 * @returns {Promise<Health>}
 */
export const loadHealth = (slug) => healthQueue(() => api('GET', `/tenants/${seg(slug)}/health`));

/**
 * A rate as a percentage, '—' without requests.
 * @param {number | null} rate
 */
export const percent = (rate) => (rate === null ? '—' : `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}%`);
