// The delivery engine (docs/events.md "Delivery"): made in main.ts and library.ts, started once the
// server listens, stopped before the database closes. It never runs inside a SCIM request: a change
// commits with its events (outbox.ts) and is answered; the engine finds the events afterwards.
//
// Each wake (a commit in this process, a PostgreSQL notification from any, or the poll, at most
// pollMs apart): give positions to committed events (PostgreSQL's sequencer), make due the streams of
// tenants with new events (store.discoverStreams), then claim due streams, a few at once
// (config.delivery.concurrency), each leased to this process. A stream is one consumer's progress
// through one tenant's events: its events go one at a time, in position order, so a receiver sees a
// tenant's changes in the order they happened, and a failing event holds back only its own stream,
// never another tenant's or another endpoint's.
//
// At-least-once: a stream moves past an event only after the sink has answered for it. A process
// killed mid-delivery leaves its streams leased until the lease expires (config.delivery.leaseMs);
// then another process takes them from the last event recorded as done and sends what followed
// again. Duplicates are bounded per stream by the deliveries not yet recorded at the kill (at most
// FLUSH_EVERY, or FLUSH_MS worth) and the one in flight. A process that is stopped (SIGTERM,
// docs/running.md "Stopping and restarting") instead records what it delivered and releases its
// streams and replays, so the next process takes them at once, not a lease later.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../provisioning/clock.ts';
import type { ConsumerKind, ConsumerRecord, DeliveryOutcomeName, EventRecord, NewDeliveryAttempt, ReplayClaim, Store, StreamClaim } from '../store/store.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, retryDelay } from './retry-schedule.ts';
import type { DeliveryOutcome, Sink } from './sink.ts';

export interface EngineOptions {
  store: Store;
  clock: Clock;
  /** One Sink per consumer kind; a kind without one (or whose sink is not active) is left to other processes. */
  sinks: Partial<Record<ConsumerKind, Sink>>;
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  retentionDays?: number;
  retryScheduleMs?: readonly number[];
  /** Where failures of the engine itself are reported (never secrets). */
  log?: { warn(obj: object, msg: string): void };
  /** Jitter's randomness (tests may fix it). */
  random?: () => number;
  /** Told of each attempt's outcome, for /metrics (http/metrics/): kept in memory, never a write. */
  onOutcome?: (kind: ConsumerKind, outcome: DeliveryOutcomeName) => void;
  /** How long stop() lets attempts in flight finish before abandoning them (tests shorten it). */
  stopGraceMs?: number;
}

/** Events read per query while a stream is worked on. */
const BATCH = 20;
/** Events one claim delivers before the stream is released, so busy tenants take turns. */
const PER_CLAIM = 200;
/** Deliveries recorded per transaction, and the longest they wait to be (see runStream). */
export const FLUSH_EVERY = 50;
const FLUSH_MS = 250;
/** Shortest gap between passes started by wakeups: at a thousand commits a second, a pass per commit cost more than the commits. */
const MIN_PASS_GAP_MS = 20;
/** Positions discovery looks through per consumer per wake. */
const DISCOVERY_WINDOW = 10_000;
/** How often old events and attempts are pruned, and how many rows per statement (small: never a long lock). */
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 500;
const PRUNE_ROUNDS = 20;
/** How long stop() lets attempts in flight finish before abandoning them to their lease. */
const STOP_GRACE_MS = 5_000;

export class EventEngine {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly sinks: Partial<Record<ConsumerKind, Sink>>;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly retentionDays: number;
  private readonly schedule: readonly number[];
  private readonly random: () => number;
  private readonly log?: EngineOptions['log'];
  private readonly onOutcome?: EngineOptions['onOutcome'];
  private readonly stopGraceMs: number;
  /** The pass running now (wake()), which stop() waits for: it may be claiming streams. */
  private pass?: Promise<void>;
  /** This process's lease tokens start with it (host, pid, random), so leases of two processes never match. */
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private claims = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private running = false;
  private stopping = false;
  private ticking = false;
  private again = false;
  /** When the last pass began (performance.now()), and the timer of a wake deferred until MIN_PASS_GAP_MS after it. */
  private lastPass = -Infinity;
  private gapTimer?: NodeJS.Timeout;
  private poll?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.sinks = options.sinks;
    this.concurrency = options.concurrency ?? 8;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 500;
    this.retentionDays = options.retentionDays ?? 30;
    this.schedule = options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
    this.random = options.random ?? Math.random;
    this.log = options.log;
    this.onOutcome = options.onOutcome;
    this.stopGraceMs = options.stopGraceMs ?? STOP_GRACE_MS;
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.unsubscribe = this.store.onEvents(() => this.wake());
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref();
    this.pruner = setInterval(() => { void this.prune(); }, PRUNE_EVERY_MS);
    this.pruner.unref();
    this.wake();
  }

  /**
   * Stops claiming; each stream stops after the event it is sending, records what it delivered and
   * is released (its lease cleared, so any process takes it at once). Attempts still in flight after
   * a few seconds are abandoned: their events are not recorded, and their streams and replays are
   * released all the same, to be sent again by this process's successor or another.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.poll);
    clearInterval(this.pruner);
    clearTimeout(this.gapTimer);
    this.unsubscribe?.();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.stopGraceMs); });
    // A pass claiming right now hands its claims to workers (which see `stopping` and release them):
    // they are only in the set once the pass ends.
    await Promise.race([this.pass, grace]);
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, grace]);
    clearTimeout(timer);
    this.abort.abort();
    await all;
    for (const sink of Object.values(this.sinks)) sink?.close?.();
  }

  /** Looks for work now (coalesced: a wake during a pass makes one more pass). */
  wake(): void {
    if (!this.running || this.stopping) return;
    if (this.ticking) { this.again = true; return; }
    // Passes start at least MIN_PASS_GAP_MS apart: a wake sooner than that is served by one timer.
    const wait = MIN_PASS_GAP_MS - (performance.now() - this.lastPass);
    if (wait > 0) {
      this.gapTimer ??= setTimeout(() => { this.gapTimer = undefined; this.wake(); }, wait);
      return;
    }
    this.ticking = true;
    this.pass = (async () => {
      try {
        do {
          this.again = false;
          this.lastPass = performance.now();
          await this.tick();
          // Wakes that came during the pass make one more, no sooner than MIN_PASS_GAP_MS after this one began.
          const gap = MIN_PASS_GAP_MS - (performance.now() - this.lastPass);
          if (this.again && gap > 0) await new Promise((r) => setTimeout(r, gap));
        } while (this.again && !this.stopping);
      } catch (err) {
        this.log?.warn({ err: describe(err) }, 'event delivery: pass failed; trying again at the next poll');
      } finally {
        this.ticking = false;
        this.pass = undefined;
      }
    })();
  }

  private kinds(): ConsumerKind[] {
    return (Object.entries(this.sinks) as [ConsumerKind, Sink | undefined][])
      .filter(([, sink]) => sink && (sink.active?.() ?? true))
      .map(([kind]) => kind);
  }

  private iso(offsetMs = 0): string {
    return new Date(this.clock.now() + offsetMs).toISOString();
  }

  private async tick(): Promise<void> {
    await this.store.sequenceEvents();
    const kinds = this.kinds();
    if (!kinds.length) return;
    await this.store.discoverStreams(kinds, this.iso(), DISCOVERY_WINDOW);
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0 || this.stopping) return;
    const lease = `${this.owner}:${++this.claims}`;
    const streams = await this.store.claimStreams(lease, kinds, this.iso(), this.iso(this.leaseMs), free);
    const consumers = new Map<string, ConsumerRecord | undefined>();
    const consumerOf = async (id: string) => {
      if (!consumers.has(id)) consumers.set(id, await this.store.getConsumer(id));
      return consumers.get(id);
    };
    for (const s of streams) {
      const c = await consumerOf(s.consumerId);
      this.track(c ? this.runStream(s, c) : this.store.releaseStream(s, s.position, this.iso()).then(() => undefined));
    }
    const left = this.concurrency - this.inFlight.size;
    if (left > 0 && !this.stopping) {
      const replays = await this.store.claimReplays(lease, kinds, this.iso(), this.iso(this.leaseMs), Math.min(left, 4));
      for (const r of replays) {
        const c = await consumerOf(r.consumerId);
        if (c) this.track(this.runReplay(r, c));
      }
    }
  }

  /**
   * A claim that found no event at all, though the tenant's head may be past the stream: the events
   * in between were pruned (older than the retention: an endpoint disabled with a backlog for that
   * long). Reads again after the head, so that an event positioned meanwhile is not passed over;
   * with none, the stream is to move to the head (released behind it, it would be due again at
   * once, for ever). Returns the events read again and the head to move to when there are none.
   */
  private async pastPruned(claim: StreamClaim, consumerId: string, position: number): Promise<{ batch: EventRecord[]; head: number }> {
    const head = await this.store.tenantHead(claim.tenantId);
    if (head <= position) return { batch: [], head: position };
    const batch = await this.store.streamEvents(claim.tenantId, position, null, BATCH);
    if (!batch.length) this.missed(consumerId, claim.tenantId, head - position);
    return { batch, head };
  }

  /** Events of the stream that no longer exist (pruned before this consumer got them): said, never silent. */
  private missed(consumer: string, tenantId: string, count: number): void {
    this.log?.warn({ consumer, tenantId, missed: count }, 'event delivery: events were pruned (older than the retention) before this consumer got them; its stream moves past them');
  }

  /** Runs a worker, and wakes the engine when it ends: its slot is free, and its stream may have more. */
  private track(work: Promise<void>): void {
    const p = work
      .catch((err: unknown) => { this.log?.warn({ err: describe(err) }, 'event delivery: a stream failed; its lease will expire and it will be taken again'); })
      .finally(() => { this.inFlight.delete(p); this.wake(); });
    this.inFlight.add(p);
  }

  /** Asks the sink, turning a throw into a failed outcome (a sink's bug must not stop the stream for good). */
  private async attempt(sink: Sink, event: EventRecord, consumer: ConsumerRecord): Promise<{ outcome: DeliveryOutcome; latencyMs: number }> {
    const t0 = performance.now();
    let outcome: DeliveryOutcome;
    try {
      outcome = await sink.deliver(event, consumer, this.abort.signal);
    } catch (err) {
      outcome = { ok: false, error: `the ${consumer.kind} sink failed: ${describe(err)}` };
    }
    return { outcome, latencyMs: Math.round(performance.now() - t0) };
  }

  /** The outcome name an attempt is recorded with, told to onOutcome. */
  private told(kind: ConsumerKind, name: DeliveryOutcomeName): DeliveryOutcomeName {
    this.onOutcome?.(kind, name);
    return name;
  }

  private async runStream(claim: StreamClaim, claimed: ConsumerRecord): Promise<void> {
    let consumer = claimed;
    const sink = this.sinks[consumer.kind];
    let position = claim.position;
    let attempts = claim.attempts;
    if (!sink) { await this.store.releaseStream(claim, position, this.iso()); return; }
    // Deliveries are recorded, and the stream moved past them, in batches (one transaction per
    // FLUSH_EVERY events or FLUSH_MS): a transaction per event held delivery to about 30 events/s on
    // SQLite under SCIM load (bench, docs/performance.md "Issue 10"). A crash before a flush sends
    // those events again: at-least-once, as before.
    let done: NewDeliveryAttempt[] = [];
    let donePosition = position;
    let flushedAt = performance.now();
    const flush = async (): Promise<boolean> => {
      if (donePosition === position && !done.length) return true;
      const ok = await this.store.advanceStream(claim, donePosition, this.iso(), this.iso(this.leaseMs), done);
      done = [];
      position = donePosition;
      flushedAt = performance.now();
      return ok;
    };
    for (let count = 0; count < PER_CLAIM;) {
      if (this.stopping) break;
      // With a type filter, the events in between are not this consumer's: the stream may move to the
      // tenant's head as it stood before the read, once no matching event is left below it.
      let headBefore = consumer.types ? await this.store.tenantHead(claim.tenantId) : donePosition;
      let batch = await this.store.streamEvents(claim.tenantId, donePosition, consumer.types, BATCH);
      // Asked only of a claim that made no progress: one that did is released, and if it stopped
      // short of pruned events its next claim lands here.
      if (!batch.length && !consumer.types && donePosition === claim.position) ({ batch, head: headBefore } = await this.pastPruned(claim, consumer.id, donePosition));
      if (!batch.length) { donePosition = Math.max(donePosition, headBefore); break; }
      if (!consumer.types && batch[0].tenantPosition > donePosition + 1) {
        // Tenant positions have no gaps: the ones missing were pruned. Moved past at once, so that
        // the gap is recorded with the next flush (a retry, a stop or a takeover) and said once.
        this.missed(consumer.id, claim.tenantId, batch[0].tenantPosition - donePosition - 1);
        donePosition = batch[0].tenantPosition - 1;
      }
      // The consumer as it stands now, read after the events: an event written after a secret was
      // rotated (or the URL changed, or the endpoint disabled or deleted) is sent as that change
      // says, even to a stream whose claim began before it. Read at the claim only, a stream kept
      // busy signed up to PER_CLAIM events with a secret already rotated out.
      const current = await this.store.getConsumer(consumer.id);
      if (!current || !current.enabled || current.state === 'gone') break;
      consumer = current;
      for (const event of batch) {
        if (this.stopping) break;
        const { outcome, latencyMs } = await this.attempt(sink, event, consumer);
        // Abandoned by stop(): this event's answer is unknown, so it is not recorded (it is sent
        // again); what was delivered before it is recorded, and the stream released.
        if (this.abort.signal.aborted) break;
        const at = this.iso();
        const base = { at, consumerId: consumer.id, tenantId: claim.tenantId, eventId: event.id, position: event.position, status: outcome.status ?? null, latencyMs, error: outcome.error ?? null };
        if (outcome.ok || outcome.skipped) {
          done.push({ ...base, outcome: this.told(consumer.kind, outcome.ok ? 'delivered' : 'skipped') });
          donePosition = event.tenantPosition;
          attempts = 0;
          count++;
          if (outcome.ok && consumer.state === 'failing') {
            if (!(await flush())) return; // taken over
            await this.store.setConsumerState(consumer.id, 'ok', null, at);
            consumer.state = 'ok';
          }
          if ((done.length >= FLUSH_EVERY || performance.now() - flushedAt >= FLUSH_MS) && !(await flush())) return;
          continue;
        }
        // A failure: what was delivered before it is recorded first.
        if (!(await flush())) return;
        if (outcome.disable) {
          await this.store.recordAttempt({ ...base, outcome: this.told(consumer.kind, 'failed') });
          await this.store.setConsumerState(consumer.id, 'gone', outcome.error ?? 'the receiver answered 410 Gone', at);
          await this.store.releaseStream(claim, position, at);
          return;
        }
        attempts++;
        const delay = outcome.permanent ? undefined : retryDelay(this.schedule, attempts, this.random);
        if (delay === undefined) {
          await this.store.recordAttempt({ ...base, outcome: this.told(consumer.kind, 'dead') });
          const reason = `event ${event.id} was dead-lettered after ${attempts} attempt(s): ${outcome.error ?? 'failed'}`;
          const moved = await this.store.deadLetter(claim, {
            consumerId: consumer.id, tenantId: claim.tenantId, eventId: event.id, position: event.position, tenantPosition: event.tenantPosition,
            at, attempts, lastError: outcome.error ?? null,
          }, reason, this.iso(this.leaseMs));
          if (!moved) return;
          consumer.state = 'failing';
          position = donePosition = event.tenantPosition;
          attempts = 0;
          count++;
          continue;
        }
        await this.store.recordAttempt({ ...base, outcome: this.told(consumer.kind, 'failed') });
        const wait = Math.max(delay, outcome.retryAfterMs ?? 0);
        await this.store.failStream(claim, attempts, this.iso(wait), outcome.error ?? 'failed', at);
        return;
      }
    }
    if (!(await flush())) return;
    await this.store.releaseStream(claim, position, this.iso());
  }

  /** A dead letter asked to be sent again: on its own, outside its stream's order (it was skipped there). */
  private async runReplay(claim: ReplayClaim, consumer: ConsumerRecord): Promise<void> {
    const sink = this.sinks[consumer.kind];
    // Given back unattempted on stop(), so another process takes it at once.
    if (this.stopping) { await this.store.releaseReplay(claim); return; }
    const event = await this.store.getEvent(claim.eventId);
    if (!sink || !event) {
      await this.store.finishReplay(claim, { delivered: false, nextAttemptAt: null, error: event ? 'no sink for this kind' : 'the event is no longer kept (retention)' }, this.iso());
      return;
    }
    const { outcome, latencyMs } = await this.attempt(sink, event, consumer);
    if (this.abort.signal.aborted) { await this.store.releaseReplay(claim); return; }
    const at = this.iso();
    const delivered = outcome.ok || Boolean(outcome.skipped);
    await this.store.recordAttempt({
      at, consumerId: consumer.id, tenantId: claim.tenantId, eventId: event.id, position: event.position, status: outcome.status ?? null,
      latencyMs, error: outcome.error ?? null, outcome: this.told(consumer.kind, outcome.ok ? 'delivered' : outcome.skipped ? 'skipped' : 'failed'),
    });
    if (outcome.disable) await this.store.setConsumerState(consumer.id, 'gone', outcome.error ?? 'the receiver answered 410 Gone', at);
    if (outcome.ok && consumer.state === 'failing') await this.store.setConsumerState(consumer.id, 'ok', null, at);
    const delay = delivered || outcome.permanent || outcome.disable ? undefined : retryDelay(this.schedule, claim.replayAttempts + 1, this.random);
    const next = delay === undefined ? null : this.iso(Math.max(delay, outcome.retryAfterMs ?? 0));
    await this.store.finishReplay(claim, { delivered, nextAttemptAt: next, error: outcome.error ?? null }, at);
  }

  /** Deletes events, attempts and dead letters older than the retention, and expired sign-in state, a few small batches per round. */
  async prune(): Promise<void> {
    if (this.stopping) return;
    const before = this.iso(-this.retentionDays * 86_400_000);
    try {
      for (let i = 0; i < PRUNE_ROUNDS && !this.stopping; i++) {
        if ((await this.store.pruneEvents(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
      for (let i = 0; i < PRUNE_ROUNDS && !this.stopping; i++) {
        if ((await this.store.pruneAttempts(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
      for (let i = 0; i < PRUNE_ROUNDS && !this.stopping; i++) {
        if ((await this.store.pruneDeadLetters(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
      // The sign-in's short-lived rows (codes, AuthnRequests, assertion ids, retired keys) expire by
      // their own times, not the event retention: store/sql/sso.ts.
      const now = this.iso();
      for (let i = 0; i < PRUNE_ROUNDS && !this.stopping; i++) {
        if ((await this.store.pruneSaml(now, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
    } catch (err) {
      this.log?.warn({ err: describe(err) }, 'event retention: pruning failed; trying again later');
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
