// The vendor's functions registered under a pattern, in the order added: rc.on's listeners
// (events/listeners.ts) and rc.before's vetoes (policies/vetoes.ts). Copy on write: a delivery or a
// check in progress keeps iterating over the list it started with.
export class Registrations<E extends { pattern: string; fn: unknown }> {
  private list: readonly E[] = [];

  /** Adds an entry; returns a function that removes exactly this one. */
  add(entry: E): () => void {
    this.list = [...this.list, entry];
    return () => { this.list = this.list.filter((e) => e !== entry); };
  }

  /** Removes the earliest entry of `fn` under `pattern` (as EventEmitter's off does); false if there was none. */
  remove(pattern: string, fn: unknown): boolean {
    const at = this.list.findIndex((e) => e.pattern === pattern && e.fn === fn);
    if (at < 0) return false;
    this.list = this.list.filter((_, i) => i !== at);
    return true;
  }

  /** The functions of the entries that match, in the order they were added. */
  matching(test: (entry: E) => boolean): E['fn'][] {
    return this.list.filter(test).map((e) => e.fn);
  }

  get size(): number { return this.list.length; }
}
