// Progress of a long CLI run: on a terminal, one line redrawn in place (count, rate, share of the
// file, ETA); otherwise (a log, CI) a plain line every PLAIN_EVERY_MS. Written to stderr, so
// stdout keeps only the result. Small enough that a dependency would not pay for itself.

const REDRAW_MS = 200;
const PLAIN_EVERY_MS = 5000;

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const duration = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

export class Progress {
  private readonly started = performance.now();
  private last = performance.now();
  private drawn = false;
  private readonly tty: boolean;

  /** `total`: the file's size in bytes (the share done is measured in bytes read), 0 if unknown. */
  constructor(private readonly verb: string, private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  update(count: number, done: number): void {
    const now = performance.now();
    if (now - this.last < (this.tty ? REDRAW_MS : PLAIN_EVERY_MS)) return;
    this.last = now;
    const line = this.line(count, done, now);
    if (this.tty) {
      this.stream.write(`\r${line.slice(0, (this.stream.columns || 80) - 1).padEnd((this.stream.columns || 80) - 1)}`);
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Clears the terminal line (the summary follows on stdout). */
  end(): void {
    if (this.tty && this.drawn) this.stream.write(`\r${' '.repeat((this.stream.columns || 80) - 1)}\r`);
  }

  private line(count: number, done: number, now: number): string {
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? count / secs : 0;
    const share = this.total > 0 ? Math.min(1, done / this.total) : undefined;
    if (share === undefined) return `${this.verb} ${n(count)} rows, ${n(rate)}/s`;
    const width = 24;
    const bar = this.tty ? `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ` : '';
    const eta = share > 0 ? ` ETA ${duration(secs / share - secs)}` : '';
    return `${bar}${this.verb} ${n(count)} rows, ${Math.floor(share * 100)}% of the file, ${n(rate)}/s${eta}`;
  }
}
