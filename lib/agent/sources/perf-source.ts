// Counter source backed by a real `perf stat -x';' -I <ms> -a` child process.
import { FeatureState } from "../../../gen/overseer/v1/features.js";
import { CounterSource as Kind } from "../../../gen/overseer/v1/node_state.js";
import { countImcPmus, discoverEvents, realPerfExec, type PerfExec } from "../../perf/event-discovery.js";
import { planPerfEvents, type EventPlan } from "../../perf/event-plan.js";
import { createPerfRunner, type PerfRunner } from "../../perf/perf-runner.js";
import { createPerfStatParser, type PerfIntervalRecord, type PerfStatParser } from "../../perf/perf-stat-parser.js";
import type { CounterSample, CounterSource, SourceCapabilities, SourceHooks, SourceStats } from "../counter-source.js";
import { createProcStatReader, PROC_BUSY, type ProcStatReader } from "../proc-stat.js";
import { createResctrlReader, type ResctrlReader } from "../resctrl.js";
import { createWindower, fillMissing } from "./windows.js";

export interface PerfSourceOptions {
  perfPath: string;
  intervalMs: number;
  resctrlRoot?: string;
  /** /proc/stat, read each window for the CPU-utilisation fallback; "" disables it. */
  procStatPath?: string;
  /** sysfs PMU directory used to skip probing raw events of absent PMUs; "" probes everything. */
  pmuDevicesDir?: string;
  /** Injected for tests; defaults to running perfPath. */
  exec?: PerfExec;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Quiet time after perf's last line before the interval is complete (perf prints an interval in one burst). */
  settleMs?: number;
  hooks?: SourceHooks;
}

/** Quiet time after the last line of an interval that already holds every planned event. */
const COMPLETE_SETTLE_MS = 20;

export function createPerfSource(opts: PerfSourceOptions): CounterSource & { readonly plan: EventPlan | undefined; readonly perfPid: number | undefined } {
  const hooks = opts.hooks ?? {};
  const settleMs = opts.settleMs ?? Math.max(50, opts.intervalMs / 4);
  let plan: EventPlan | undefined;
  let runner: PerfRunner | undefined;
  let resctrl: ResctrlReader | undefined;
  const procStat: ProcStatReader | undefined = opts.procStatPath === "" ? undefined : createProcStatReader(opts.procStatPath);
  let onSample: ((s: CounterSample) => void) | undefined;
  let parser: PerfStatParser = createPerfStatParser();
  let windower = createWindower();
  let currentRun = 0;
  let settleTimer: NodeJS.Timeout | undefined;
  let emptyTimer: NodeJS.Timeout | undefined;
  let reportedErrors = 0;
  const totals = { lines: 0, parseErrors: 0, intervals: 0 };
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));

  const deliver = (recs: PerfIntervalRecord[]) => {
    for (const rec of recs) {
      const w = windower.next(rec);
      if (!w) {
        hooks.log?.("warn", "perf interval timestamp did not advance; interval dropped", { timestampSec: rec.timestampSec });
        continue;
      }
      const counters = fillMissing(w.counters, plan!.missing);
      if (resctrl) Object.assign(counters, resctrl.read());
      if (procStat) Object.assign(counters, procStat.read());
      totals.intervals++;
      onSample?.({ windowSec: w.windowSec, counters, observedAt: new Date() });
    }
  };
  const reportErrors = () => {
    const n = parser.stats.parseErrors - reportedErrors;
    if (n > 0) {
      reportedErrors = parser.stats.parseErrors;
      totals.parseErrors += n;
      hooks.onParseErrors?.(n, parser.lastError);
    }
  };
  const newRun = (run: number) => {
    currentRun = run;
    parser = createPerfStatParser();
    reportedErrors = 0;
    windower = createWindower();
  };

  const src = {
    kind: Kind.COUNTER_SOURCE_PERF,
    get plan() {
      return plan;
    },
    get perfPid() {
      return runner?.pid;
    },
    finished,
    async init(): Promise<SourceCapabilities> {
      const d = await discoverEvents(opts.exec ?? realPerfExec(opts.perfPath), { devicesDir: (opts.pmuDevicesDir ?? "/sys/bus/event_source/devices") || undefined });
      plan = planPerfEvents(d.probes);
      resctrl = createResctrlReader(opts.resctrlRoot);
      const resctrlMissing = resctrl.available
        ? []
        : ["resctrl.llc_occupancy", "resctrl.mbm_total_bytes"].map((event) => ({
            event,
            reason: FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE,
            detail: `resctrl monitoring not available (${opts.resctrlRoot ?? "/sys/fs/resctrl"}/mon_data missing)`,
          }));
      return {
        kind: Kind.COUNTER_SOURCE_PERF,
        availableEvents: [...plan.supported, ...(resctrl.available ? ["resctrl.llc_occupancy", "resctrl.mbm_total_bytes"] : []), ...(procStat ? [PROC_BUSY] : [])],
        missingEvents: [...plan.missing, ...resctrlMissing],
        imcPmuCount: countImcPmus(opts.pmuDevicesDir || undefined),
        resctrlAvailable: resctrl.available,
        description: `${d.perfVersion}; ${d.runs} probe runs; counting: ${plan.eventArg}`,
      };
    },
    start(cb: (s: CounterSample) => void) {
      if (!plan) throw new Error("perf source: init() must run before start()");
      onSample = cb;
      if (resctrl) resctrl.read(); // prime the cumulative MBM counter
      procStat?.read(); // prime the cumulative busy time
      if (plan.eventArg === "") {
        // perf can count nothing here: keep publishing windows whose features are all absent
        // (with the reasons), so the node stays visible as "unknown", instead of looping on perf.
        hooks.log?.("error", "perf can count none of the catalog events on this node; publishing states with every PMU feature absent", {
          reasons: [...new Set(plan.missing.map((m) => m.detail))].slice(0, 5),
        });
        let last = Date.now();
        emptyTimer = setInterval(() => {
          const now = Date.now();
          const counters = fillMissing({}, plan!.missing);
          if (resctrl) Object.assign(counters, resctrl.read());
      if (procStat) Object.assign(counters, procStat.read());
          totals.intervals++;
          onSample?.({ windowSec: (now - last) / 1000, counters, observedAt: new Date(now) });
          last = now;
        }, opts.intervalMs);
        return;
      }
      runner = createPerfRunner({
        perfPath: opts.perfPath,
        eventArg: plan.eventArg,
        intervalMs: opts.intervalMs,
        initialBackoffMs: opts.initialBackoffMs,
        maxBackoffMs: opts.maxBackoffMs,
        onStart: ({ run, pid, args }) => {
          newRun(run);
          hooks.log?.("info", "perf started", { run, pid, command: `${opts.perfPath} ${args.join(" ")}` });
        },
        onLine: (line, run) => {
          if (run !== currentRun) return;
          totals.lines++;
          deliver(parser.push(line));
          reportErrors();
          if (settleTimer) clearTimeout(settleTimer);
          settleTimer = undefined;
          // Every planned event of this interval is in: publish after a breath (a burst may still
          // carry per-PMU duplicates to sum); otherwise wait longer for the rest of the burst.
          const complete = parser.pendingEventCount >= plan!.countedEvents.length;
          settleTimer = setTimeout(
            () => {
              settleTimer = undefined;
              if (run === currentRun) deliver(parser.flush());
            },
            complete ? COMPLETE_SETTLE_MS : settleMs,
          );
        },
        onExit: ({ run, code, signal, expected, restartInMs }) => {
          if (settleTimer) clearTimeout(settleTimer);
          settleTimer = undefined;
          if (expected) {
            // perf prints the last (partial) interval when interrupted: keep it.
            if (run === currentRun) deliver(parser.flush());
            return;
          }
          // A dying perf may leave half an interval: keep it only if every planned event is in.
          if (run === currentRun && parser.pendingEventCount >= plan!.countedEvents.length) deliver(parser.flush());
          hooks.log?.("warn", "perf exited unexpectedly; restarting", { run, code, signal, restartInMs, lastError: parser.lastError });
          hooks.onRestart?.({ run, code, signal, restartInMs: restartInMs ?? 0 });
        },
        onError: (err) => hooks.log?.("error", "cannot run perf", { error: err.message }),
      });
      runner.start();
    },
    async stop() {
      if (emptyTimer) clearInterval(emptyTimer);
      await runner?.stop();
      onSample = undefined;
      resolveFinished();
    },
    stats(): SourceStats {
      return { ...totals, restarts: runner?.restarts ?? 0 };
    },
  };
  return src;
}
