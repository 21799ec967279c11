// @ts-check
// After "Finish setup": the link is used up and the session has ended; nothing more to call.
import { h } from '../lib/dom.js';

/** @param {import('../setup.js').SetupContext} ctx */
export function render(ctx) {
  document.title = 'Setup finished';
  return h('div', null,
    h('h1', null, 'Setup finished'),
    h('p', null, `Thank you. ${ctx.setup.tenant.name || ctx.setup.tenant.slug} is set up, and this setup link no longer opens anything.`),
    h('p', null, 'Your identity provider now sends changes on its own: people you assign to the app are created, updates follow, and people you unassign are deactivated. If something needs changing later, ask the person who sent you the link for a new one.'),
    h('p', { class: 'hint' }, 'You can close this tab.'));
}
