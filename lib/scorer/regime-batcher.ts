// Classifies new NodeStates through regime-svc in batches: flushes every `flushIntervalMs`, or at
// once when `maxBatch` nodes are waiting. A node updated several times before a flush is classified
// once (its newest state). When regime-svc fails, the nodes go back in the queue, their cached
// regimes stay in use (marked stale), and retries back off up to `maxBackoffMs`.
import { context, ROOT_CONTEXT, trace, type SpanContext } from "@opentelemetry/api";
import type { ClassifyResponse } from "../../gen/overseer/v1/regime_service.js";
import type { LogFn } from "../bundle/bundle-holder.js";
import type { NodeStateStore } from "./node-state-store.js";

/**
 * Classifies model rows (records' slab rows: values then presence, classify-codec.ts), one
 * assessment per row in order. The rows are views of the store's slab: read them before the first
 * await. `timeoutMs` overrides the client's default deadline (decision-time classification uses a short one).
 */
export type ClassifyFn = (rows: readonly Float32Array[], o?: { timeoutMs?: number }) => Promise<ClassifyResponse>;

export interface RegimeBatcherOptions {
  store: NodeStateStore;
  classify: ClassifyFn;
  flushIntervalMs: number;
  maxBatch: number;
  maxBackoffMs?: number;
  onBatch?: (size: number) => void;
  onResult?: (ok: boolean, error?: string) => void;
  /** Nodes whose regime was just cached. */
  onClassified?: (names: string[]) => void;
  log?: LogFn;
}

const tracer = trace.getTracer("overseer-scorer");

export class RegimeBatcher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private backoffMs = 0;
  private stopped = false;
  private lastError = "";

  constructor(private readonly opts: RegimeBatcherOptions) {}

  /** Call after the store accepted a state. */
  notify(): void {
    if (this.stopped || this.inFlight) return;
    if (this.backoffMs === 0 && this.opts.store.pendingCount >= this.opts.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else this.schedule(this.backoffMs || this.opts.flushIntervalMs);
  }

  private schedule(ms: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  /**
   * A batch now, unless one is in flight or failures are being backed off (then the scheduled
   * retry stands): frequent decisions ask for this instead of classifying inline.
   */
  flushNow(): void {
    if (this.stopped || this.inFlight || this.backoffMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.flush();
  }

  /** Classifies one batch now (tests and shutdown use it directly). */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const batch = this.opts.store.takePending(this.opts.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.inFlight = this.traced(batch).finally(() => {
      this.inFlight = undefined;
      if (this.opts.store.pendingCount > 0) {
        if (this.backoffMs === 0 && this.opts.store.pendingCount >= this.opts.maxBatch) setImmediate(() => void this.flush());
        else this.schedule(this.backoffMs || this.opts.flushIntervalMs);
      }
    });
    return this.inFlight;
  }

  /**
   * One batch is its own trace: without the root context the Classify call would hang under whichever
   * agent's IngestNodeStates stream scheduled the flush (a stream span that lasts as long as the agent).
   */
  private traced(batch: ReturnType<NodeStateStore["takePending"]>): Promise<void> {
    return context.with(ROOT_CONTEXT, () =>
      tracer.startActiveSpan("overseer.scorer.classify_batch", { attributes: { "overseer.batch_size": batch.length } }, (span) =>
        this.run(batch, span.spanContext()).finally(() => span.end()),
      ),
    );
  }

  private async run(batch: ReturnType<NodeStateStore["takePending"]>, batchSpan: SpanContext): Promise<void> {
    this.opts.onBatch?.(batch.length);
    try {
      const resp = await this.opts.classify(batch.map((b) => b.rec.row));
      if (resp.assessments.length !== batch.length) throw new Error(`regime-svc answered ${resp.assessments.length} assessments for ${batch.length} vectors`);
      batch.forEach((b, i) => this.opts.store.setRegime(b.rec.name, b.sequence, b.startMs, resp.assessments[i]!, batchSpan));
      this.opts.onClassified?.(batch.map((b) => b.rec.name));
      if (this.backoffMs > 0) this.opts.log?.("info", "regime-svc reachable again", {});
      this.backoffMs = 0;
      this.lastError = "";
      this.opts.onResult?.(true);
    } catch (e) {
      const message = (e as Error).message;
      this.opts.store.requeue(batch.map((b) => b.rec.name));
      this.backoffMs = Math.min(Math.max(2 * this.backoffMs, this.opts.flushIntervalMs), this.opts.maxBackoffMs ?? 5000);
      if (message !== this.lastError) this.opts.log?.("warn", "regime classification failed; scoring continues with cached regimes (marked stale)", { error: message, retryInMs: this.backoffMs });
      this.lastError = message;
      this.opts.onResult?.(false, message);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }
}
