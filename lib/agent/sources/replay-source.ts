// Counter source that replays a recorded `perf stat -x';' -I <ms> -a` output file, at a fixed
// pace or as fast as possible. Catalog events that never appear in the recording's first interval
// are reported missing (<not supported>), exactly as the perf source reports what it cannot count.
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { FeatureState } from "../../../gen/overseer/v1/features.js";
import { CounterSource as Kind, type MissingEvent } from "../../../gen/overseer/v1/node_state.js";
import { perfCatalogEvents } from "../../perf/event-plan.js";
import { createLineSplitter } from "../../perf/line-splitter.js";
import { createPerfStatParser, type PerfIntervalRecord } from "../../perf/perf-stat-parser.js";
import type { CounterSample, CounterSource, SourceCapabilities, SourceHooks, SourceStats } from "../counter-source.js";
import { createWindower, fillMissing } from "./windows.js";

export interface ReplaySourceOptions {
  path: string;
  /** Milliseconds between samples; 0 = as fast as possible. */
  paceMs: number;
  /** Start again at the end of the file (for long runs and benchmarks). */
  loop?: boolean;
  separator?: string;
  hooks?: SourceHooks;
}

export class ReplayFileError extends Error {}

export function createReplaySource(opts: ReplaySourceOptions): CounterSource {
  const hooks = opts.hooks ?? {};
  let missing: MissingEvent[] = [];
  let stopped = false;
  const totals = { lines: 0, parseErrors: 0, intervals: 0, restarts: 0 };
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let wake: (() => void) | undefined;
  let started = false;
  let timer: NodeJS.Timeout | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      wake = r;
      timer = setTimeout(r, ms);
    });

  async function* records(): AsyncGenerator<PerfIntervalRecord> {
    const parser = createPerfStatParser({ separator: opts.separator ?? ";" });
    let reported = 0;
    const pending: PerfIntervalRecord[] = [];
    const split = createLineSplitter((l) => {
      totals.lines++;
      pending.push(...parser.push(l));
    });
    const report = () => {
      const n = parser.stats.parseErrors - reported;
      if (n > 0) {
        reported = parser.stats.parseErrors;
        totals.parseErrors += n;
        hooks.onParseErrors?.(n, parser.lastError);
      }
    };
    for await (const chunk of createReadStream(opts.path, { encoding: "utf8", highWaterMark: 16 * 1024 })) {
      split.push(chunk as string);
      report();
      while (pending.length > 0) yield pending.shift()!;
      if (stopped) return;
    }
    split.end();
    pending.push(...parser.flush());
    report();
    while (pending.length > 0) yield pending.shift()!;
  }

  async function run(onSample: (s: CounterSample) => void) {
    try {
      do {
        const windower = createWindower();
        for await (const rec of records()) {
          if (stopped) break;
          const w = windower.next(rec);
          if (!w) {
            hooks.log?.("warn", "replay: interval timestamp did not advance; dropped", { timestampSec: rec.timestampSec });
            continue;
          }
          totals.intervals++;
          onSample({ windowSec: w.windowSec, counters: fillMissing(w.counters, missing), observedAt: new Date() });
          if (opts.paceMs > 0) await sleep(opts.paceMs);
          else await new Promise<void>((r) => setImmediate(r));
        }
      } while (opts.loop && !stopped);
    } catch (e) {
      hooks.log?.("error", "replay failed", { path: opts.path, error: (e as Error).message });
    } finally {
      resolveFinished();
    }
  }

  return {
    kind: Kind.COUNTER_SOURCE_REPLAY,
    finished,
    async init(): Promise<SourceCapabilities> {
      if (!existsSync(opts.path) || !statSync(opts.path).isFile()) throw new ReplayFileError(`replay file ${opts.path} does not exist or is not a file`);
      // Capabilities from the first interval of the recording.
      const parser = createPerfStatParser({ separator: opts.separator ?? ";" });
      const head = readFileSync(opts.path, "utf8").slice(0, 1 << 20).split("\n");
      let first: PerfIntervalRecord | undefined;
      for (const l of head) {
        first = parser.push(l)[0];
        if (first) break;
      }
      first ??= parser.flush()[0];
      if (!first) throw new ReplayFileError(`replay file ${opts.path} holds no perf stat interval (${parser.stats.parseErrors} unparsable lines${parser.lastError ? `; ${parser.lastError}` : ""})`);
      const available: string[] = [];
      missing = [];
      for (const e of perfCatalogEvents()) {
        const r = first.counters[e];
        if (r && r.status !== "not-supported") available.push(e);
        else missing.push({ event: e, reason: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED, detail: r ? "<not supported> in the recording" : "not in the recording" });
      }
      return {
        kind: Kind.COUNTER_SOURCE_REPLAY,
        availableEvents: available,
        missingEvents: missing,
        imcPmuCount: 0,
        resctrlAvailable: false,
        description: `replay of ${opts.path}${opts.paceMs > 0 ? ` every ${opts.paceMs} ms` : " as fast as possible"}${opts.loop ? ", looping" : ""}`,
      };
    },
    start(onSample) {
      started = true;
      void run(onSample);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      if (!started) resolveFinished();
      await finished;
    },
    stats(): SourceStats {
      return { ...totals };
    },
  };
}
