// Asks the local `perf` which catalog events this node can count.
//
// First one batch run with every event (cheap when all parse); when perf rejects the batch
// (an unknown event or a missing PMU is a syntax error that fails the whole command), every
// event is probed on its own. The topdown events are probed as a group under `slots`, the way
// they will be counted. Each probe is `perf stat -x';' -a -e <spec> true`.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { EVENT_BY_NAME } from "../features/events.js";
import { createPerfStatParser } from "./perf-stat-parser.js";
import { perfCatalogEvents, TOPDOWN_LEADER, type ProbeOutcome } from "./event-plan.js";

export interface ProbeRun {
  code: number | null;
  /** perf's stat output (it writes to stderr). */
  output: string;
}

/** Runs perf with the given arguments. Injectable for unit tests. */
export type PerfExec = (args: string[]) => Promise<ProbeRun>;

export function realPerfExec(perfPath = "perf", timeoutMs = 10_000): PerfExec {
  return (args) =>
    new Promise((resolve) => {
      execFile(perfPath, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        let code = 0;
        let extra = "";
        if (err) {
          const c = (err as { code?: unknown }).code;
          code = typeof c === "number" ? c : 127;
          if (typeof c !== "number") extra = `cannot run ${perfPath}: ${err.message}\n`;
        }
        resolve({ code, output: `${extra}${stderr}${stdout}` });
      });
    });
}

export class PerfUnavailableError extends Error {}

const probeArgs = (eventArg: string) => ["stat", "-x", ";", "-a", "-e", eventArg, "true"];

/** Outcome per catalog name from one perf run's output (events perf did not print are left out). */
function outcomesFromRun(run: ProbeRun): Map<string, ProbeOutcome> {
  const out = new Map<string, ProbeOutcome>();
  // Without -I there is no timestamp column: prefix one so the interval parser reads the lines.
  const parser = createPerfStatParser({ separator: ";" });
  const recs = [];
  for (const line of run.output.split("\n")) {
    if (line.trim() === "" || !/;/.test(line)) continue;
    recs.push(...parser.push(`0;${line}`));
  }
  recs.push(...parser.flush());
  for (const r of recs) {
    for (const [name, reading] of Object.entries(r.counters)) {
      if (reading.status === "not-supported") out.set(name, { status: "not-supported", detail: "perf reported <not supported>" });
      else out.set(name, { status: "supported" });
    }
  }
  return out;
}

function firstErrorLine(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^error:?$/i.test(l));
  // perf points at the offending token with "\___ <reason>" under the event string.
  const pointer = lines.find((l) => l.startsWith("\\___"));
  const useful = pointer ?? lines.find((l) => /error|cannot|not supported|denied|permission|limited|paranoid/i.test(l)) ?? lines[0] ?? "perf failed";
  return useful.replace(/^\\___\s*/, "").slice(0, 200);
}

async function probeGroup(exec: PerfExec, names: string[], eventArg: string): Promise<Map<string, ProbeOutcome>> {
  const run = await exec(probeArgs(eventArg));
  const res = new Map<string, ProbeOutcome>();
  if (run.code !== 0) {
    const detail = `perf rejected ${eventArg}: ${firstErrorLine(run.output)}`;
    for (const n of names) res.set(n, { status: "not-supported", detail });
    return res;
  }
  const seen = outcomesFromRun(run);
  for (const n of names) res.set(n, seen.get(n) ?? { status: "not-supported", detail: "perf printed no reading for it" });
  return res;
}

export interface DiscoveryResult {
  probes: Map<string, ProbeOutcome>;
  perfVersion: string;
  /** Number of perf invocations it took. */
  runs: number;
}

/** Discovers which catalog events perf can count on this node. Throws PerfUnavailableError when perf cannot run at all. */
export interface DiscoverOptions {
  /** sysfs PMU directory: raw `pmu/.../` events of PMUs absent here are not probed. Undefined = probe everything. */
  devicesDir?: string;
  /** Probes run at once. */
  concurrency?: number;
}

/** The PMU a raw spec names (`cpu` for `cpu/event=...`), or undefined for named events. */
export function pmuOfSpec(spec: string): string | undefined {
  return /^([A-Za-z0-9_]+)\//.exec(spec)?.[1];
}

function pmuPresent(devicesDir: string, pmu: string): boolean {
  try {
    return readdirSync(devicesDir).some((d) => d === pmu || new RegExp(`^${pmu}_\\d+$`).test(d));
  } catch {
    return true; // cannot tell: let perf decide
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function discoverEvents(exec: PerfExec, dopts: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const version = await exec(["--version"]);
  if (version.code !== 0) throw new PerfUnavailableError(`perf cannot run: ${firstErrorLine(version.output)}`);
  const names = perfCatalogEvents();
  const topdown = names.filter((n) => EVENT_BY_NAME.get(n)?.source === "topdown" && n !== TOPDOWN_LEADER);
  const rest = names.filter((n) => EVENT_BY_NAME.get(n)?.source !== "topdown");
  const spec = (n: string) => EVENT_BY_NAME.get(n)?.perfSpec ?? n;
  const groupArg = (members: string[]) => `{${[TOPDOWN_LEADER, ...members].map(spec).join(",")}}`;
  let runs = 1;

  // Batch: everything at once.
  runs++;
  const batchArg = [groupArg(topdown), ...rest.map(spec)].join(",");
  const batch = await probeGroup(exec, names, batchArg);
  if ([...batch.values()].every((o) => o.status === "supported") || !batchRejected(batch)) {
    return { probes: batch, perfVersion: version.output.trim(), runs };
  }

  const probes = new Map<string, ProbeOutcome>();
  const probeTopdown = async (): Promise<Map<string, ProbeOutcome>> => {
    // Level 1 + memory bound, then level 1 alone.
    runs++;
    const td = await probeGroup(exec, [TOPDOWN_LEADER, ...topdown], groupArg(topdown));
    if ([...td.values()].every((o) => o.status === "supported")) return td;
    const level1 = topdown.filter((n) => n !== "topdown-mem-bound");
    runs++;
    const l1 = await probeGroup(exec, [TOPDOWN_LEADER, ...level1], groupArg(level1));
    if (![...l1.values()].every((o) => o.status === "supported")) return td;
    l1.set("topdown-mem-bound", { status: "not-supported", detail: "topdown level 2 (topdown-mem-bound) rejected in the slots group" });
    return l1;
  };
  const toProbe: string[] = [];
  for (const n of rest) {
    const pmu = pmuOfSpec(spec(n));
    if (pmu && dopts.devicesDir && !pmuPresent(dopts.devicesDir, pmu)) {
      probes.set(n, { status: "not-supported", detail: `PMU ${pmu} is not present in ${dopts.devicesDir}` });
    } else toProbe.push(n);
  }
  const [td, single] = await Promise.all([
    probeTopdown(),
    mapLimit(toProbe, dopts.concurrency ?? 3, async (n) => {
      runs++;
      return (await probeGroup(exec, [n], spec(n))).get(n)!;
    }),
  ]);
  for (const [k, v] of td) probes.set(k, v);
  toProbe.forEach((n, i) => probes.set(n, single[i]!));
  return { probes, perfVersion: version.output.trim(), runs };
}

function batchRejected(batch: Map<string, ProbeOutcome>): boolean {
  return [...batch.values()].some((o) => o.status === "not-supported" && o.detail.startsWith("perf rejected"));
}

/** Number of uncore_imc_* PMUs the kernel exposes (0 when none). */
export function countImcPmus(devicesDir = "/sys/bus/event_source/devices"): number {
  try {
    return readdirSync(devicesDir).filter((d) => /^uncore_imc(_\d+)?$/.test(d)).length;
  } catch {
    return 0;
  }
}
