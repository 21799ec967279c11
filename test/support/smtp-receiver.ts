// A real SMTP server for the tests (npm smtp-server on 127.0.0.1, a free port), with password
// authentication, that keeps every message it accepts and can be told to answer a recipient with
// any reply code. Messages are read back as a mail client would: headers unfolded, encoded words
// and quoted-printable or base64 parts decoded.
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../harness/processes.ts';

export interface ReceivedMessage {
  /** The SMTP envelope. */
  mailFrom: string;
  rcptTo: string[];
  /** Header names lower-cased; values unfolded and decoded. */
  headers: Map<string, string>;
  text: string;
  html: string | undefined;
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  /** smtp://user:password@127.0.0.1:port */
  url: string;
  password: string;
  messages: ReceivedMessage[];
  /** Answer RCPT TO for this address with this code (e.g. 450, 550) instead of accepting it. */
  refuse(address: string, code: number): void;
  close(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const port = await freePort();
  const password = 'sm7p-secret-pw';
  const refusals = new Map<string, number>();
  const messages: ReceivedMessage[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS to offer (its certificate would be self-signed), and
    // authentication allowed without TLS, which a production server would refuse.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === password) callback(null, { user: 'mailer' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const code = refusals.get(address.address);
      if (code) callback(Object.assign(new Error(code >= 500 ? 'No such user here' : 'Mailbox busy, try later'), { responseCode: code }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const env = session.envelope;
        messages.push({ ...parse(raw), raw, mailFrom: env.mailFrom ? env.mailFrom.address : '', rcptTo: env.rcptTo.map((r) => r.address) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port, password, messages,
    url: `smtp://mailer:${password}@127.0.0.1:${port}`,
    refuse: (address, code) => { refusals.set(address, code); },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parse(raw: string): Pick<ReceivedMessage, 'headers' | 'text' | 'html'> {
  const { headers, body } = split(raw);
  const type = headers.get('content-type') ?? 'text/plain';
  const parts = type.startsWith('multipart/') ? multipart(body, boundaryOf(type)) : [{ headers, body }];
  let text = '';
  let html: string | undefined;
  for (const p of parts) {
    const t = p.headers.get('content-type') ?? 'text/plain';
    if (t.startsWith('multipart/')) {
      for (const q of multipart(p.body, boundaryOf(t))) {
        const qt = q.headers.get('content-type') ?? 'text/plain';
        if (qt.startsWith('text/html')) html = decode(q); else if (qt.startsWith('text/plain')) text = decode(q);
      }
    } else if (t.startsWith('text/html')) html = decode(p);
    else if (t.startsWith('text/plain')) text = decode(p);
  }
  return { headers, text, html };
}

function split(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = at < 0 ? raw : raw.slice(0, at);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body: at < 0 ? '' : raw.slice(at + 4) };
}

const boundaryOf = (contentType: string) => /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '';

function multipart(body: string, boundary: string) {
  return body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--')).map((p) => split(p.replace(/^\r\n/, '')));
}

/** A text part as a mail client shows it: transfer encoding undone, CRLF (the wire's line end) as \n. */
function decode(part: { headers: Map<string, string>; body: string }): string {
  return undoEncoding(part).replace(/\r\n/g, '\n');
}

function undoEncoding(part: { headers: Map<string, string>; body: string }): string {
  const cte = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body = part.body.replace(/\r\n$/, '');
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return qp(body);
  return body;
}

function qp(s: string): string {
  const joined = s.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) { bytes.push(parseInt(joined.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(...Buffer.from(joined[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=), as nodemailer writes non-ASCII headers. */
function decodeWords(v: string): string {
  return v.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*(?==\?)?/g, (_, _charset: string, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : qp(data.replace(/_/g, ' ')));
}
