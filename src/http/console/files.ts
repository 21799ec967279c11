// The console's files, read once at start-up (docs/console.md "Security"): the two HTML shells and
// every file under assets/ whose type is one the console uses. A request's path is only ever a key
// into this map: nothing from a URL reaches the filesystem, so "..", encoded slashes, symlinks and
// files added after start-up are all simply not found. Each file carries a strong ETag (a digest of
// its bytes) so browsers revalidate with Cache-Control: no-cache and get 304s.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface ConsoleFile { body: Buffer; type: string; etag: string }

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.html': 'text/html; charset=utf-8',
};

/** A file to serve: its bytes, type and ETag (a digest of the bytes). */
export const fileOf = (body: Buffer, type: string): ConsoleFile =>
  ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });

function load(path: string): ConsoleFile | undefined {
  const type = CONTENT_TYPES[extname(path).toLowerCase()];
  return type ? fileOf(readFileSync(path), type) : undefined;
}

export interface ConsoleFiles {
  /** src/console/index.html: /console and every console route. */
  index?: ConsoleFile;
  /** src/console/setup.html: /setup and every setup route. */
  setup?: ConsoleFile;
  /** Files under assets/, by their path relative to it ("pages/tenants.js"). */
  assets: ReadonlyMap<string, ConsoleFile>;
}

/** Reads the console folder (`root` holds index.html, setup.html and assets/). A missing part is absent, not an error. */
export function readConsoleFiles(root: string): ConsoleFiles {
  const assets = new Map<string, ConsoleFile>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      // Regular files and real folders only: a symlink could point anywhere.
      if (stat.isDirectory()) walk(path, `${prefix}${name}/`);
      else if (stat.isFile()) {
        const file = load(path);
        if (file) assets.set(`${prefix}${name}`, file);
      }
    }
  };
  const assetsDir = join(root, 'assets');
  if (existsSync(assetsDir) && lstatSync(assetsDir).isDirectory()) walk(assetsDir, '');
  const shell = (name: string) => {
    const path = join(root, name);
    return existsSync(path) && lstatSync(path).isFile() ? load(path) : undefined;
  };
  return { index: shell('index.html'), setup: shell('setup.html'), assets };
}
