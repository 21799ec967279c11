// Small, iterative helpers over an xmldom tree. Iterative (never recursive) so that a hostile,
// deeply nested document cannot overflow the stack; namespace-aware so that a look-alike element in
// another namespace is never taken for a SAML one.
export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
} as const;

const ELEMENT_NODE = 1;

export function isElement(n: Node | null | undefined): n is Element {
  return !!n && n.nodeType === ELEMENT_NODE;
}

export function is(el: Element, ns: string, localName: string): boolean {
  return el.namespaceURI === ns && el.localName === localName;
}

/** Direct element children, optionally only those named (ns, localName). */
export function children(el: Element, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (isElement(n) && (ns === undefined || is(n, ns, localName ?? n.localName))) out.push(n);
  }
  return out;
}

/** Every node below `root` (root included), in document order, with its depth below root. */
export function* walk(root: Node): Generator<[Node, number]> {
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    yield [node, depth];
    const kids: Node[] = [];
    for (let n = node.firstChild; n; n = n.nextSibling) kids.push(n);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
  }
}

/** Every element below `root` (root included) named (ns, localName). */
export function descendants(root: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (const [n] of walk(root)) if (isElement(n) && is(n, ns, localName)) out.push(n);
  return out;
}

/** The whole text of an element: every text and CDATA node below it, comments excluded. */
export function textOf(el: Element): string {
  let s = '';
  for (const [n] of walk(el)) if (n.nodeType === 3 || n.nodeType === 4) s += n.nodeValue ?? '';
  return s;
}

/** Text for an XML attribute value or element content. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
