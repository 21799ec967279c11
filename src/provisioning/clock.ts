// The one source of the current time (house rule 4, after jose's `currentDate`): made in main.ts and
// carried in the use-case context, so token expiry, retries and time windows are tested by moving a
// clock instead of sleeping. Nothing else in src/ calls `new Date()` or `Date.now()` for "now".

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's time as an ISO 8601 string, the form every stored timestamp takes. */
export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();

/** A clock that moves only when told: for tests. */
export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number { return this.ms; }
  set(iso: string): void { this.ms = Date.parse(iso); }
  advance(ms: number): void { this.ms += ms; }
}
