// A streaming RFC 4180 reader: quoted fields with embedded commas, doubled quotes and line breaks,
// CRLF or LF line ends, a UTF-8 byte order mark. It takes text in pieces of any size and hands out
// whole records, so a file of any length is read in constant memory. A record longer than
// `maxRecordChars` (a 1 GB line, or a quote never closed) is not kept: the reader drops its text,
// resynchronises at the next line break outside quotes (or, when a quote was never closed, at the
// next line break at all once the limit is passed), and hands out that record as an error.
// Malformed quoting (a quote inside an unquoted field, text after a closing quote) is an error of
// its record alone; the next record is read normally.

export interface CsvRecord {
  /** The record's fields; empty when `error` is set. */
  fields: string[];
  /** The line of the file (1-based) on which the record starts. */
  line: number;
  /** Why the record could not be read. */
  error?: string;
}

type State = 'start' | 'unquoted' | 'quoted' | 'quoteInQuoted' | 'skipping';

export class CsvReader {
  private fields: string[] = [];
  private field = '';
  private state: State = 'start';
  private size = 0;
  private line = 1;
  private recordLine = 1;
  private error: string | undefined;
  private first = true;
  private lastWasCr = false;
  /** True once the record has any content (an empty line is not a record). */
  private content = false;

  constructor(private readonly maxRecordChars = 1 << 20) {}

  /** Feeds a piece of text; returns the records it completed. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    if (this.first && text.length) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\n' && this.lastWasCr) { this.lastWasCr = false; continue; } // the LF of a CRLF already ended the line
      this.lastWasCr = c === '\r';
      const newline = c === '\n' || c === '\r';
      switch (this.state) {
        case 'skipping':
          if (newline) { this.line++; this.end(out); }
          continue;
        case 'quoted':
          if (c === '"') { this.state = 'quoteInQuoted'; continue; }
          if (newline) this.line++;
          this.add(newline ? '\n' : c);
          continue;
        case 'quoteInQuoted':
          if (c === '"') { this.state = 'quoted'; this.add('"'); continue; }
          if (c === ',') { this.nextField(); continue; }
          if (newline) { this.line++; this.end(out); continue; }
          this.fail(`text after the closing quote of field ${this.fields.length + 1} (a quote inside a quoted field must be doubled: "")`);
          continue;
        case 'start':
          if (c === '"') { this.state = 'quoted'; this.content = true; continue; }
          if (c === ',') { this.content = true; this.nextField(); continue; }
          if (newline) { this.line++; this.end(out); continue; }
          this.state = 'unquoted';
          this.content = true;
          this.add(c);
          continue;
        case 'unquoted':
          if (c === ',') { this.nextField(); continue; }
          if (newline) { this.line++; this.end(out); continue; }
          if (c === '"') { this.fail(`a quote inside unquoted field ${this.fields.length + 1} (quote the whole field, and double the quote: "a ""b"" c")`); continue; }
          this.add(c);
          continue;
      }
    }
    return out;
  }

  /** The end of the input: the last record, if the file does not end with a line break. */
  finish(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.state === 'quoted') this.fail(`a quoted field that is never closed (it starts on line ${this.recordLine})`);
    this.end(out);
    return out;
  }

  private add(c: string): void {
    if (++this.size > this.maxRecordChars) {
      const open = this.state === 'quoted';
      this.fail(`the record is longer than ${this.maxRecordChars} characters${open ? ' (perhaps a quote that is never closed)' : ''}; it was skipped`);
      return;
    }
    this.field += c;
  }

  private nextField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = 'start';
  }

  private fail(reason: string): void {
    this.error ??= reason;
    this.fields = [];
    this.field = '';
    this.state = 'skipping';
  }

  private end(out: CsvRecord[]): void {
    if (this.error !== undefined) {
      out.push({ fields: [], line: this.recordLine, error: this.error });
    } else if (this.content || this.field !== '') {
      this.fields.push(this.field);
      out.push({ fields: this.fields, line: this.recordLine });
    }
    this.fields = [];
    this.field = '';
    this.state = 'start';
    this.size = 0;
    this.error = undefined;
    this.content = false;
    this.recordLine = this.line;
  }
}
