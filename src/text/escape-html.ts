// Text made safe for HTML content and quoted attribute values: the notification emails
// (events/email-template.ts) and the SAML pages (http/saml/pages.ts, test-pages.ts). Its own module,
// importing nothing, so that events/ and http/ share it without either importing the other.
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
