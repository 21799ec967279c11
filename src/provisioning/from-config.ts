// The provisioning service as a config describes it: what `rollcall serve` (main.ts), the library
// (library.ts) and the CLI's import and export commands (cli/) all run. Apart from main.ts so that a
// command that needs the service does not load the HTTP server.
import { bulkLimits, type Config } from '../config/config.ts';
import type { Store } from '../store/store.ts';
import { systemClock, type Clock } from './clock.ts';
import type { ChangeHook } from './mutate.ts';
import { vetoHook, type VetoRegistry } from './policies/vetoes.ts';
import { Provisioning } from './service.ts';

export interface ProvisioningOptions {
  clock?: Clock;
  /** Called with every change inside its transaction (provisioning/mutate.ts). */
  hooks?: ChangeHook[];
  /** App vetoes registered in code (library.ts rc.before); the tenants' approval webhooks need none. */
  vetoes?: VetoRegistry;
}

/** The provisioning service over a store. */
export function makeProvisioning(config: Readonly<Config>, store: Store, options: ProvisioningOptions = {}): Provisioning {
  return new Provisioning({
    store, clock: options.clock ?? systemClock, publicUrl: config.publicUrl, paging: config.paging,
    attributeLimits: config.attributeLimits, ...bulkLimits(config),
    // App vetoes (policies/vetoes.ts) after the given hooks, before the outbox the service appends.
    hooks: [...(options.hooks ?? []), vetoHook(options.vetoes, config.webhooks)],
  });
}
