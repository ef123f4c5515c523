import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../worker/env.ts";
import { aggregatorReporterId, type Forward, ReportAggregate } from "../../worker/health/aggregate.ts";
import { normalizeReport } from "../../worker/health/report.ts";
import type { HealthReport, PoolSnapshot } from "../../worker/health/types.ts";
import { normalizeDelta } from "../../worker/metrics/normalize.ts";
import type { MetricsDelta } from "../../worker/metrics/series.ts";

const MAX_BACKOFF_MS = 30_000;

interface PoolAggregate {
  readonly poolId: string;
  readonly aggregate: ReportAggregate;
  /** The combined report on its way, if any: one at a time per pool. */
  forwarding: Promise<PoolSnapshot | null> | null;
  /** Failed forwards in a row, for the backoff. */
  failures: number;
}

/**
 * One per pool and region (named `<pool>@<region>`, see worker/health/aggregate.ts), used while the
 * pool is aggregated (worker/health/aggregation-mode.ts): takes the reports of the region's
 * isolates in place of the pool's PoolState and forwards one combined report of them at most every few hundred milliseconds (at once
 * for failures that may eject an origin), under its own id. It answers every report with the
 * PoolState's latest snapshot, so that the PoolState's load grows with the regions, not the
 * isolates. Everything lives in memory: like the PoolState's in-flight table, it is stale within
 * seconds and the isolates keep re-sending it.
 */
export class ReportAggregator extends DurableObject<Env> {
  #pools = new Map<string, PoolAggregate>();
  /** The alarm this instance set and that has not run yet. */
  #alarmAt: number | null = null;

  /** The clock of every decision; tests replace it to move time without sleeping. */
  protected now(): number {
    return Date.now();
  }

  /**
   * One isolate's report for pool `poolId`, as it would send it to the PoolState. Returns the
   * PoolState's latest snapshot (null when the PoolState does not know the pool). While the
   * PoolState cannot be reached the report is refused (it throws), as the PoolState's own would
   * fail: the isolate keeps its figures, sends them again later and routes on what it has.
   */
  async report(poolId: string, batch: HealthReport, metrics?: MetricsDelta): Promise<PoolSnapshot | null> {
    if (typeof poolId !== "string" || poolId.length === 0) return null;
    const state = this.#stateOf(poolId);
    const now = this.now();
    const report = normalizeReport(batch, () => true);
    const delta = metrics === undefined ? null : normalizeDelta(metrics, poolId);
    const entry = report ? state.aggregate.add(report, delta, now) : null;
    try {
      return await this.#answer(state);
    } catch (error) {
      // Taken back, so that the isolate's own copy is the only one. Its in-flight figures stay:
      // they are replaced, not added up, when it sends them again.
      if (entry === null || state.aggregate.withdraw(entry)) throw error;
      const last = state.aggregate.snapshot;
      if (last === undefined) throw error;
      return last;
    } finally {
      await this.#arm();
    }
  }

  /** Forwards what is due for every pool, then sleeps until the next thing is due. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    for (const state of this.#pools.values()) {
      const now = this.now();
      const due = state.aggregate.dueAt(now);
      if (state.forwarding || due === null || due > now) continue;
      await this.#forward(state, now).catch(() => undefined);
    }
    await this.#arm();
  }

  /**
   * The answer to a report just taken in: the snapshot held, or a fresh one when a forward is due
   * (after the forward under way, which may have carried the report already).
   */
  async #answer(state: PoolAggregate): Promise<PoolSnapshot | null> {
    if (!this.#wantsForward(state, this.now())) return this.#held(state);
    while (state.forwarding) await state.forwarding.catch(() => undefined);
    const now = this.now();
    if (!this.#wantsForward(state, now)) return this.#held(state);
    return this.#forward(state, now);
  }

  /** Whether to forward now: as due, or to reach a PoolState that never answered or last failed. */
  #wantsForward(state: PoolAggregate, now: number): boolean {
    if (state.aggregate.snapshot === undefined || state.failures > 0) return !state.aggregate.backingOff(now);
    return state.aggregate.forwardNow(now);
  }

  /** The snapshot held, unless the PoolState has not answered or its last forward failed. */
  #held(state: PoolAggregate): PoolSnapshot | null {
    const snapshot = state.aggregate.snapshot;
    if (snapshot === undefined || state.failures > 0) {
      throw new Error(`the PoolState of pool "${state.poolId}" cannot be reached; retry later`);
    }
    return snapshot;
  }

  /** Sends one combined report of `state` to the pool's PoolState and keeps its answer. */
  #forward(state: PoolAggregate, now: number): Promise<PoolSnapshot | null> {
    const forward = state.aggregate.take(this.#reporterId(), now);
    const sending: Promise<PoolSnapshot | null> = this.#send(state, forward).finally(() => {
      if (state.forwarding === sending) state.forwarding = null;
    });
    state.forwarding = sending;
    return sending;
  }

  async #send(state: PoolAggregate, forward: Forward): Promise<PoolSnapshot | null> {
    try {
      const stub = this.env.POOL_STATE.getByName(state.poolId);
      const snapshot = await stub.report(forward.report, forward.metrics ?? undefined);
      state.aggregate.accepted(forward, snapshot);
      state.failures = 0;
      return snapshot;
    } catch (error) {
      state.failures++;
      const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(state.failures, 20));
      state.aggregate.failed(forward, this.now() + backoff / 2 + Math.random() * (backoff / 2));
      console.log(
        JSON.stringify({
          event: "aggregate_report_failed",
          pool: state.poolId,
          failures: state.failures,
          error: String(error),
        }),
      );
      throw error;
    }
  }

  /** Sets the alarm for the earliest due forward, unless an earlier one is set already. */
  async #arm(): Promise<void> {
    const now = this.now();
    let next: number | null = null;
    for (const state of this.#pools.values()) {
      // A forward under way arms the alarm itself once it is answered.
      if (state.forwarding) continue;
      const due = state.aggregate.dueAt(now);
      if (due !== null && (next === null || due < next)) next = due;
    }
    if (next === null || (this.#alarmAt !== null && this.#alarmAt <= next)) return;
    this.#alarmAt = next;
    await this.ctx.storage.setAlarm(next);
  }

  #stateOf(poolId: string): PoolAggregate {
    let state = this.#pools.get(poolId);
    if (!state) {
      state = { poolId, aggregate: new ReportAggregate(), forwarding: null, failures: 0 };
      this.#pools.set(poolId, state);
    }
    return state;
  }

  /** The id the PoolState knows this aggregator by: one reporter, like an isolate. */
  #reporterId(): string {
    return aggregatorReporterId(this.ctx.id.toString());
  }
}
