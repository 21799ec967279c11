// Refreshes the metadata of connections made from a URL (docs/sso.md "Connecting an identity
// provider"): IdPs publish their next signing certificate in their metadata before they sign with
// it, so fetching it periodically (config.saml.metadataRefreshMs, daily by default) carries a
// tenant through a certificate rollover without anyone uploading anything. A failed fetch keeps the
// last good metadata, is shown on the connection (refreshError) and is retried sooner.
//
// Any number of processes may run one: each due connection is claimed in the database first
// (store.claimSamlRefreshes), so one process fetches it. One instance per server, made in main.ts.
import type { Clock } from '../clock.ts';
import type { Store } from '../../store/store.ts';
import type { Actor } from '../admin/audit.ts';
import type { SamlConnections } from './connections.ts';

/** Who the audit log names for an automatic refresh that changed a connection. */
export const REFRESHER_ACTOR: Actor = Object.freeze({ type: 'library', keyId: null, keyName: 'metadata refresh', requestId: null });

export interface RefresherOptions {
  /** How often due connections are looked for (default one minute: refreshes are daily). */
  pollMs?: number;
  /** The longest one fetch may take (config.saml.metadataTimeoutMs): a claim outlasts it. */
  timeoutMs: number;
  /** Connections fetched per pass, one after another. */
  batch?: number;
  log?: { warn(obj: object, msg: string): void };
}

export class MetadataRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly connections: SamlConnections, private readonly store: Store, private readonly clock: Clock, private readonly options: RefresherOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => { void this.pass(); }, this.options.pollMs ?? 60_000);
    this.timer.unref();
    void this.pass();
  }

  /** Stops polling and waits for a pass in flight (each fetch is bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass now (tests drive it with a manual clock); resolves when it is done. Overlapping calls share a pass. */
  async refreshDue(): Promise<void> {
    // A pass already running may have looked before the caller's change (a moved clock): wait for it, then look again.
    await this.running;
    return this.pass();
  }

  private pass(): Promise<void> {
    this.running ??= this.work().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async work(): Promise<void> {
    const batch = this.options.batch ?? 10;
    try {
      for (let rounds = 0; rounds < 100 && !this.stopped; rounds++) {
        const now = this.clock.now();
        // Each connection's fetch may take up to the timeout, one after another, and then some.
        const claimUntil = new Date(now + batch * this.options.timeoutMs + 60_000).toISOString();
        const claimed = await this.store.claimSamlRefreshes(new Date(now).toISOString(), claimUntil, batch);
        for (const c of claimed) {
          if (this.stopped) return; // the rest become due again when their claim ends
          try {
            const ok = await this.connections.refreshClaimed(c, REFRESHER_ACTOR);
            if (ok === false) this.options.log?.warn({ tenantId: c.tenantId, connectionId: c.id }, 'SAML metadata refresh failed; the last good metadata is kept');
          } catch (err) {
            this.options.log?.warn({ err, tenantId: c.tenantId, connectionId: c.id }, 'SAML metadata refresh could not be recorded');
          }
        }
        if (claimed.length < batch) return;
      }
    } catch (err) {
      // The database being away is retried on the next poll.
      this.options.log?.warn({ err }, 'SAML metadata refresh pass failed');
    }
  }
}
