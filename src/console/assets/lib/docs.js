// @ts-check
// Where the console's links into Rollcall's own documentation point: the docs/ folder of the
// repository, one constant, so a mirror or a versioned copy is a change of one line.

/** The docs folder, ending in a slash. */
export const DOCS_BASE = 'https://github.com/rollcall-dev/rollcall/blob/main/docs/';

/**
 * The URL of a documentation page, with an optional heading anchor.
 * @param {string} page e.g. 'errors.md'
 * @param {string} [anchor] e.g. 'limits-and-hostile-values'
 */
export const docUrl = (page, anchor) => `${DOCS_BASE}${page}${anchor ? `#${anchor}` : ''}`;
