// The ACS's body: an HTML form post (application/x-www-form-urlencoded, SAML 2.0 Bindings §3.5).
// Read as text within config.saml's limit by the plugin's content-type parser (routes.ts), before
// anything is decoded; then split here with the WHATWG form parser Node has built in.

/** A form field given more than once, or a body that is not a form: the ACS refuses it. */
export class FormRefused extends Error {}

/**
 * The single value of each of `names` in a form body (undefined when absent). A field given twice
 * is refused: which copy an SP reads is exactly what a confused-deputy attack would play on.
 */
export function formFields<K extends string>(body: string, names: readonly K[]): Partial<Record<K, string>> {
  const params = new URLSearchParams(body);
  const out: Partial<Record<K, string>> = {};
  for (const name of names) {
    const values = params.getAll(name);
    if (values.length > 1) throw new FormRefused(`The form field ${name} was sent ${values.length} times; send it once.`);
    if (values.length === 1) out[name] = values[0];
  }
  return out;
}
