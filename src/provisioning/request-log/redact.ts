// Redaction of SCIM bodies before they are recorded (docs/request-log.md "What is redacted"). The
// value of every attribute whose name is on the list is replaced by "[redacted]", at any depth and
// in either body: `password` always (RFC 7643 §4.1.1 calls it write-only; it never comes back, but
// an IdP sends it in every POST and PUT of a user when password sync is on), and the names an
// installation adds (ROLLCALL_REQUEST_LOG_REDACT).
//
// It works on the text, not on a parsed value, for two reasons. A body is recorded only up to a
// size (16 KiB by default) and a full group's PUT can be 10 MiB: parsing all of it to record its
// start would cost the server more than the request did. And a body may be cut anywhere, or be
// invalid JSON the request was refused for: the scanner here reads any prefix of any text, and a
// value it cannot see the end of is redacted all the same.
//
// Names are matched as SCIM matches them: case-insensitively, with or without the schema URN
// ("urn:ietf:params:scim:schemas:core:2.0:User:password"). A PATCH operation names its attribute in
// `path` and carries the value apart ({"op": "replace", "path": "password", "value": "…"}): its
// `value` is redacted whichever of the two keys comes first, and when the body was cut before its
// `path` could be read, the value is redacted too.

export const REDACTED = '"[redacted]"';

/** Attributes always redacted from recorded bodies, whatever a configuration's list says (RequestLog adds them itself). */
export const ALWAYS_REDACTED: readonly string[] = ['password'];
/** Deeper than any SCIM body; past it nothing more is copied (a hostile body cannot exhaust the stack). */
const MAX_DEPTH = 64;
const TOO_DEEP = '"[not recorded: nested too deep]"';

/** The attribute a key or a PATCH path names, lower-cased, without its schema URN. */
function bareName(name: string): string {
  const lower = name.toLowerCase();
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(colon + 1) : lower;
}

/** Whether a PATCH path ("emails[type eq \"work\"].value", "urn:…:User:password", "name.givenName") names a redacted attribute. */
function pathRedacted(path: string, names: ReadonlySet<string>): boolean {
  const attribute = path.split('[')[0];
  return bareName(attribute).split('.').some((segment) => names.has(segment.trim()));
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** Characters that end a number or literal. */
const isDelimiter = (c: number) => isSpace(c) || c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a || c === 0x22 || c === 0x7b || c === 0x5b;

class Scanner {
  private i = 0;
  readonly out: string[] = [];
  private readonly n: number;

  constructor(private readonly t: string, private readonly names: ReadonlySet<string>) { this.n = t.length; }

  private code(): number { return this.t.charCodeAt(this.i); }

  private space(): void {
    const start = this.i;
    while (this.i < this.n && isSpace(this.code())) this.i++;
    if (this.i > start) this.out.push(this.t.slice(start, this.i));
  }

  /** Reads a string token from its opening quote; returns its raw text (possibly unterminated). */
  private stringToken(): string {
    const start = this.i++;
    this.complete = false;
    while (this.i < this.n) {
      const c = this.code();
      if (c === 0x5c) this.i += 2;
      else if (c === 0x22) { this.i++; this.complete = true; break; } else this.i++;
    }
    this.i = Math.min(this.i, this.n);
    return this.t.slice(start, this.i);
  }

  /** Whether the last string token read had its closing quote (the text was not cut inside it). */
  private complete = false;

  /** The text of a string token, decoded where it is complete JSON. */
  private static decode(raw: string): string {
    try { return JSON.parse(raw) as string; } catch { return raw.slice(1).replace(/"$/, ''); }
  }

  /** Passes over one value without copying it. */
  private skip(): void {
    if (this.i >= this.n) return;
    const c = this.code();
    if (c === 0x22) { this.stringToken(); return; }
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      while (this.i < this.n) {
        const d = this.code();
        if (d === 0x22) { this.stringToken(); continue; }
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) { depth--; if (depth === 0) { this.i++; return; } }
        this.i++;
      }
      return;
    }
    this.primitive(false);
  }

  /** A number, literal or stray text, up to a delimiter (at least one character, so scanning always advances). */
  private primitive(copy: boolean): void {
    const start = this.i;
    while (this.i < this.n && !isDelimiter(this.code())) this.i++;
    if (this.i === start) this.i++;
    if (copy) this.out.push(this.t.slice(start, this.i));
  }

  value(depth: number, redact: boolean): void {
    this.space();
    if (this.i >= this.n) return;
    if (redact) { this.skip(); this.out.push(REDACTED); return; }
    const c = this.code();
    if (c === 0x7b) this.object(depth + 1);
    else if (c === 0x5b) this.array(depth + 1);
    else if (c === 0x22) this.out.push(this.stringToken());
    else this.primitive(true);
  }

  private tooDeep(depth: number): boolean {
    if (depth <= MAX_DEPTH) return false;
    this.out.push(TOO_DEEP);
    this.i = this.n;
    return true;
  }

  private array(depth: number): void {
    if (this.tooDeep(depth)) return;
    this.out.push('[');
    this.i++;
    while (true) {
      this.space();
      if (this.i >= this.n) return;
      const c = this.code();
      if (c === 0x5d) { this.out.push(']'); this.i++; return; }
      if (c === 0x2c || c === 0x3a || c === 0x7d) { this.out.push(this.t[this.i++]); continue; }
      this.value(depth, false);
    }
  }

  private object(depth: number): void {
    if (this.tooDeep(depth)) return;
    this.out.push('{');
    this.i++;
    let sawPath = false;
    let redactValue = false;
    /** Where this object's own `value` was copied to (out indexes), to redact it once a later `path` names a redacted attribute. */
    let valueSpan: [number, number] | undefined;
    let closed = false;
    while (this.i < this.n) {
      this.space();
      if (this.i >= this.n) break;
      const c = this.code();
      if (c === 0x7d) { this.out.push('}'); this.i++; closed = true; break; }
      if (c !== 0x22) { if (c === 0x2c || c === 0x3a || c === 0x5d) this.out.push(this.t[this.i++]); else this.value(depth, false); continue; }
      const rawKey = this.stringToken();
      this.out.push(rawKey);
      this.space();
      if (this.i >= this.n) break;
      if (this.code() !== 0x3a) continue;
      this.out.push(':');
      this.i++;
      const key = bareName(Scanner.decode(rawKey));
      if (key === 'path') {
        this.space();
        if (this.i < this.n && this.code() === 0x22) {
          const raw = this.stringToken();
          this.out.push(raw);
          // A path cut short names nothing for sure: as if unseen (the value is then redacted).
          if (this.complete) sawPath = true;
          if (pathRedacted(Scanner.decode(raw), this.names)) redactValue = true;
          continue;
        }
      }
      const redact = this.names.has(key) || (key === 'value' && redactValue);
      const start = this.out.length;
      this.value(depth, redact);
      if (key === 'value' && !redact) valueSpan = [start, this.out.length];
    }
    // A `value` whose `path` came after it, or whose `path` the cut left unseen, is redacted now.
    if (valueSpan && (redactValue || (!closed && !sawPath))) {
      this.out.splice(valueSpan[0], valueSpan[1] - valueSpan[0], REDACTED);
    }
  }

  run(): string {
    while (this.i < this.n) this.value(0, false);
    return this.out.join('');
  }
}

/**
 * The text with the values of the named attributes (lower-case, without URN) replaced by
 * "[redacted]". The text may be any prefix of a JSON document (`whole`: it is the whole body);
 * text that is not JSON at all (it does not start with { or [) is not recorded, as it could hold anything.
 */
export function redactJson(text: string, names: ReadonlySet<string>, whole = false): string {
  const first = text.trimStart().charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) return text.trim() === '' ? '' : '"[not recorded: not JSON]"';
  // Most bodies name no redacted attribute at all (a GET's answer, a deactivation): a name must
  // appear in the text, as a key or in a PATCH path, for anything to be redacted, so a body where
  // none does is kept as it is. Scanning costs ~17 µs for a 500-character user, this check ~1 µs
  // (measured, docs/performance.md "Issue 13"). A \u escape could spell a name without showing it:
  // such a body is always scanned, as is a body cut short (`whole` false), whose PATCH path naming
  // a redacted attribute may be past the cut.
  if (whole && !text.includes('\\u')) {
    const lower = text.toLowerCase();
    let named = false;
    for (const name of names) if (lower.includes(name)) { named = true; break; }
    if (!named) return text;
  }
  return new Scanner(text, names).run();
}
