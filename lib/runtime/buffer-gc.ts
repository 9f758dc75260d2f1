// V8 counts buffer memory (ArrayBuffers: request bytes read from sockets, joined messages, model
// outputs handed over from the inference worker) allocated since the last full collection against
// the old generation's limit. Dead buffers are freed by young-generation collections (scavenges),
// but a service whose JavaScript allocates little between requests sees few scavenges: the dead
// buffers pile up until V8 starts a full mark-compact for them. A cold ScoreNodes of 5,000
// candidates leaves a 5,000-name request read in chunks and joined by grpc-js, and hardly any other
// garbage, so scorer-svc ran a mark-compact every second or so, each a pause of several
// milliseconds plus incremental marking steps on the service thread (docs/services.md, "Buffers
// and full collections").
//
// BufferGc watches the isolate's external (buffer) memory and runs a young-generation collection once
// it has grown by a threshold since the lowest level seen: a scavenge with a small young generation
// takes about a millisecond and frees the buffers, so the full collections do not come.
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { Counter, type Registry } from "prom-client";
import { runInNewContext } from "node:vm";

export interface BufferGcOptions {
  /** Growth of external memory (bytes) above the lowest level seen that triggers a collection; > 0. */
  thresholdBytes: number;
  /** How often external memory is looked at (ms). */
  intervalMs?: number;
  /** The isolate's external memory in bytes (tests replace it). */
  externalBytes?: () => number;
  /** Runs one young-generation collection (tests replace it). */
  collect?: () => void;
  /** After each collection, with its duration in ms. */
  onCollect?: (ms: number) => void;
}

type GcFunction = (options?: { type?: "minor" | "major"; execution?: "sync" | "async" }) => void;

let exposedGc: GcFunction | undefined;

/**
 * V8's `gc` function. Exposed at run time when node was started without --expose-gc; the flag only
 * makes `gc` visible to new contexts, so one throwaway context hands it over.
 */
export function v8Gc(): GcFunction {
  const g = (globalThis as { gc?: GcFunction }).gc;
  if (typeof g === "function") return g;
  if (!exposedGc) {
    setFlagsFromString("--expose-gc");
    const fromContext: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
    if (typeof fromContext !== "function") throw new Error("V8 did not expose gc() after --expose-gc was set");
    exposedGc = fromContext as GcFunction;
  }
  return exposedGc;
}

/** One young-generation collection (scavenge) of this isolate. */
export function collectYoungGeneration(): void {
  v8Gc()({ type: "minor" });
}

export class BufferGc {
  private readonly threshold: number;
  private readonly externalBytes: () => number;
  private readonly collect: () => void;
  private readonly onCollect: ((ms: number) => void) | undefined;
  private readonly intervalMs: number;
  private base: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: BufferGcOptions) {
    if (!(opts.thresholdBytes > 0) || !Number.isFinite(opts.thresholdBytes)) throw new Error(`buffer gc threshold must be a positive number of bytes, got ${opts.thresholdBytes}`);
    this.threshold = opts.thresholdBytes;
    this.externalBytes = opts.externalBytes ?? (() => getHeapStatistics().external_memory);
    this.collect = opts.collect ?? collectYoungGeneration;
    this.onCollect = opts.onCollect;
    this.intervalMs = opts.intervalMs ?? 50;
    this.base = this.externalBytes();
  }

  /**
   * Collects when external memory is `threshold` above the lowest level seen since the last
   * collection. V8 updates the figure only once the freed buffers are swept (at the next buffer
   * allocation), so right after a collection the level is taken as the new base: an idle service
   * is not collected again and again.
   */
  check(): boolean {
    const now = this.externalBytes();
    if (now < this.base) this.base = now;
    if (now - this.base < this.threshold) return false;
    const t0 = performance.now();
    this.collect();
    this.onCollect?.(performance.now() - t0);
    this.base = now;
    return true;
  }

  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), this.intervalMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** One BufferGc per process (per isolate): several services in one process (tests, benches) share it. */
let shared: { gc: BufferGc; listeners: Set<(ms: number) => void> } | undefined;

/**
 * Starts (or joins) the process's BufferGc for a service's --buffer-gc-mb (undefined when 0: off),
 * counted in `<prefix>_buffer_gcs_total` and `<prefix>_buffer_gc_seconds_total` on `registry`.
 * Services in one process share one collector (the first one's threshold holds), so they do not
 * each collect for the same buffers. `stop()` leaves it; the last one to leave stops it.
 */
export function startBufferGc(mb: number, registry: Registry, prefix: string): { stop(): void } | undefined {
  if (mb === 0) return undefined;
  const registers = [registry];
  const count = new Counter({ name: `${prefix}_buffer_gcs_total`, help: "Young-generation garbage collections run because buffers grew by --buffer-gc-mb (each instead of a share of a full collection)", registers });
  const seconds = new Counter({ name: `${prefix}_buffer_gc_seconds_total`, help: `Time the service thread spent in the collections of ${prefix}_buffer_gcs_total`, registers });
  const listener = (ms: number) => {
    count.inc();
    seconds.inc(ms / 1000);
  };
  if (!shared) {
    const listeners = new Set<(ms: number) => void>();
    shared = { listeners, gc: new BufferGc({ thresholdBytes: mb * 1024 * 1024, onCollect: (ms) => listeners.forEach((l) => l(ms)) }).start() };
  }
  const own = shared;
  own.listeners.add(listener);
  return {
    stop() {
      own.listeners.delete(listener);
      if (own.listeners.size === 0 && shared === own) {
        own.gc.stop();
        shared = undefined;
      }
    },
  };
}
