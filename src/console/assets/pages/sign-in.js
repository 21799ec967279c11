// @ts-check
// Sign-in: the operator pastes an admin API key (rca_…); the admin API exchanges it for a session
// cookie (HttpOnly, so no script can read it) and a CSRF token (POST /admin/v1/sessions). The key
// itself is sent once, in the Authorization header (so api(), which sends the cookie, is not used
// here), and is not kept by the page.
import { ApiError, prefix } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { field, form, input } from '../lib/ui.js';

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  document.title = 'Sign in · Rollcall';
  const next = ctx.query.get('next') ?? '/tenants';
  const key = input({ name: 'key', type: 'password', required: true, autocomplete: 'off', placeholder: 'rca_…' });
  const f = form({
    label: 'Sign in', submit: 'Sign in',
    onSubmit: async (values) => {
      const secret = (values.key ?? '').trim();
      if (!secret) throw new ApiError(400, { detail: 'Paste an admin API key to sign in.' });
      const res = await fetch(`${prefix}/admin/v1/sessions`, {
        method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json' }, body: '{}', credentials: 'same-origin',
      }).catch(() => null);
      if (!res) throw new ApiError(0, { detail: 'The Rollcall server did not answer. Check that it is running, then try again.' });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new ApiError(res.status, body);
      key.value = '';
      const { signedIn } = await import('../console.js');
      signedIn(body, next);
    },
  }, field('Admin API key', key, 'An admin key (rca_…) with the admin scope, or the read scope to look without changing anything. The operator creates one with `rollcall admin-key create`.'));
  return h('div', { class: 'sign-in' },
    h('h1', null, 'Sign in to the Rollcall console'),
    f,
    h('p', { class: 'hint' }, 'The key is exchanged for a session that ends after 30 minutes without use, 12 hours at most, or when you sign out.'));
}
