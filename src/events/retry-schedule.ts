// When a failed delivery is tried again (docs/events.md "Retries"). Exponential backoff with jitter,
// after the schedules receivers already know from Standard Webhooks' senders: 12 retries spread over
// about 3 days (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h, 24 h: 3.15 days in
// all), long enough to outlast a receiver's weekend outage. Each delay is moved by up to ±20% at
// random, so endpoints that failed together (one receiver, many tenants) do not retry in lockstep.
// A receiver's Retry-After (429/503) lengthens a delay, never shortens it (engine.ts).

const S = 1000;
const M = 60 * S;
const H = 60 * M;

export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([5 * S, 30 * S, 2 * M, 10 * M, 30 * M, H, 2 * H, 4 * H, 8 * H, 12 * H, 24 * H, 24 * H]);

/** The jitter's reach either way: ±20% of the delay. */
export const JITTER = 0.2;

/**
 * The delay before the next attempt after `failures` failed attempts at one event (1 after the
 * first), or undefined once the schedule is spent: the event is then dead-lettered.
 */
export function retryDelay(schedule: readonly number[], failures: number, random: () => number = Math.random): number | undefined {
  if (failures < 1 || failures > schedule.length) return undefined;
  const base = schedule[failures - 1];
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
