// Holds the serving model bundle and hot-swaps it: polls the bundle directory, loads a changed
// bundle beside the old one, swaps the reference atomically, and releases the old sessions once the
// requests that use them finish. A refused bundle is logged and counted; the old one keeps serving.
import { createHash } from "node:crypto";
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { loadBundle, type LoadOptions, type ModelBundle } from "./load-bundle.js";
import { BundleError } from "./manifest.js";

export type LogFn = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

export interface BundleHolderOptions {
  dir: string;
  /** How often the directory is checked for a new bundle; 0 disables polling. */
  pollIntervalMs: number;
  loadOptions?: LoadOptions;
  log?: LogFn;
  onLoaded?: (bundle: ModelBundle, previous: ModelBundle | undefined) => void;
  onRefused?: (reason: string, message: string) => void;
}

export type CheckResult = "unchanged" | "loaded" | "refused";

interface Entry {
  bundle: ModelBundle;
  inFlight: number;
  retired: boolean;
}

/** Identity of what is on disk: resolved path, manifest bytes, ONNX file sizes and mtimes. */
async function fingerprint(dir: string): Promise<string> {
  const h = createHash("sha256");
  const real = await realpath(dir).catch(() => dir);
  h.update(real);
  h.update(await readFile(path.join(real, "manifest.json")).catch(() => Buffer.from("<no manifest>")));
  for (const f of ["regime.onnx", "interference.onnx"]) {
    const s = await stat(path.join(real, f)).catch(() => undefined);
    h.update(s ? `${f}:${s.size}:${s.mtimeMs}` : `${f}:missing`);
  }
  return h.digest("hex");
}

export class BundleHolder {
  private entry: Entry | undefined;
  private lastFingerprint = "";
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<CheckResult> | undefined;
  private readonly log: LogFn;

  constructor(private readonly opts: BundleHolderOptions) {
    this.log = opts.log ?? (() => undefined);
  }

  /** The serving bundle, or undefined before the first successful load. */
  current(): ModelBundle | undefined {
    return this.entry?.bundle;
  }

  /** Runs `fn` with the serving bundle; a swap during `fn` releases the old sessions only after it. */
  async use<T>(fn: (bundle: ModelBundle) => Promise<T>): Promise<T> {
    const e = this.entry;
    if (!e) throw new Error("no model bundle is loaded");
    e.inFlight++;
    try {
      return await fn(e.bundle);
    } finally {
      e.inFlight--;
      if (e.retired && e.inFlight === 0) void e.bundle.release();
    }
  }

  /** First load, then polling. Does not throw when the first load is refused: the service starts NOT_SERVING. */
  async start(): Promise<CheckResult> {
    const r = await this.checkNow();
    if (this.opts.pollIntervalMs > 0) {
      this.timer = setInterval(() => void this.checkNow(), this.opts.pollIntervalMs);
      this.timer.unref();
    }
    return r;
  }

  /** Checks the directory once; loads and swaps when it changed. Concurrent calls share one check. */
  checkNow(): Promise<CheckResult> {
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async check(): Promise<CheckResult> {
    const fp = await fingerprint(this.opts.dir);
    if (fp === this.lastFingerprint) return "unchanged";
    this.lastFingerprint = fp;
    let next: ModelBundle;
    try {
      next = await loadBundle(this.opts.dir, this.opts.loadOptions);
    } catch (e) {
      const reason = e instanceof BundleError ? e.reason : "unreadable";
      const message = (e as Error).message;
      this.log("error", "model bundle refused", { dir: this.opts.dir, reason, error: message, serving: this.entry?.bundle.manifest.version ?? null });
      this.opts.onRefused?.(reason, message);
      return "refused";
    }
    const previous = this.entry;
    this.entry = { bundle: next, inFlight: 0, retired: false };
    if (previous) {
      previous.retired = true;
      if (previous.inFlight === 0) void previous.bundle.release();
    }
    this.log("info", "model bundle loaded", { dir: this.opts.dir, version: next.manifest.version, previous: previous?.bundle.manifest.version ?? null });
    this.opts.onLoaded?.(next, previous?.bundle);
    return "loaded";
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking?.catch(() => undefined);
    const e = this.entry;
    this.entry = undefined;
    if (e) {
      e.retired = true;
      if (e.inFlight === 0) await e.bundle.release();
    }
  }
}
