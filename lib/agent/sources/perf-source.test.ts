// The perf source's process handling with a stand-in perf script (unit test: the real perf of
// this machine is exercised in test/agent-perf.test.ts, but it has no hardware PMU). The script
// prints the synthetic SPR recording the way `perf stat -I` does: one burst per interval, on stderr.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { PerfExec } from "../../perf/event-discovery.js";
import { perfCatalogEvents } from "../../perf/event-plan.js";
import type { CounterSample } from "../counter-source.js";
import { createPerfSource } from "./perf-source.js";

const FIXTURE = fileURLToPath(new URL("../../../test/fixtures/perf/spr-2s-interval.perf.txt", import.meta.url));

/** Discovery answers: every catalog event supported except `unsupported`. */
const discovery = (unsupported: Set<string>): PerfExec => async (args) => {
  if (args[0] === "--version") return { code: 0, output: "perf version 6.1.0 (stand-in)\n" };
  const lines = perfCatalogEvents().map((e) => (unsupported.has(e) ? `<not supported>;;${e};0;100.00;;` : `1;;${e};1;100.00;;`));
  return { code: 0, output: lines.join("\n") };
};

function fakePerf(opts: { exitAfter?: boolean }): { path: string; argsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "fake-perf-"));
  const body = readFileSync(FIXTURE, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
  const groups = new Map<string, string[]>();
  for (const l of body) {
    const ts = l.split(";")[0]!.trim();
    groups.set(ts, [...(groups.get(ts) ?? []), l]);
  }
  const argsFile = join(dir, "args.txt");
  const parts = [...groups.values()].map((g, i) => `${i > 0 ? "sleep 0.2\n" : ""}cat >&2 <<'EOF'\n${g.join("\n")}\nEOF`);
  const script = [
    "#!/bin/sh",
    `echo "$@" >> ${argsFile}`,
    "trap 'exit 0' INT",
    ...parts,
    opts.exitAfter ? "exit 3" : "while :; do sleep 0.1; done",
    "",
  ].join("\n");
  const path = join(dir, "perf");
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return { path, argsFile };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

async function collect(src: ReturnType<typeof createPerfSource>, n: number): Promise<CounterSample[]> {
  const got: CounterSample[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${got.length} samples`)), 15_000);
    src.start((s) => {
      got.push(s);
      if (got.length === n) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return got;
}

describe("perf source (stand-in perf script)", () => {
  it("counts the topdown group under slots, emits each interval as soon as it is complete, with perf's window", async () => {
    const fake = fakePerf({});
    const src = createPerfSource({ perfPath: fake.path, intervalMs: 1000, exec: discovery(new Set(["TOPDOWN.MEMORY_BOUND_SLOTS"])), pmuDevicesDir: "", resctrlRoot: join(tmpdir(), "no-resctrl") });
    stops.push(() => src.stop());
    const caps = await src.init();
    expect(caps.missingEvents.map((m) => m.event)).toEqual(["TOPDOWN.MEMORY_BOUND_SLOTS", "resctrl.llc_occupancy", "resctrl.mbm_total_bytes"]);
    expect(src.plan!.eventArg.startsWith("{slots,topdown-retiring,topdown-fe-bound,topdown-bad-spec,topdown-be-bound,topdown-mem-bound},")).toBe(true);
    const samples = await collect(src, 3);
    expect(readFileSync(fake.argsFile, "utf8")).toContain(`stat -x ; -I 1000 -a -e ${src.plan!.eventArg}`);
    expect(samples[0]!.windowSec).toBeCloseTo(1.000137, 6);
    expect(samples[1]!.windowSec).toBeCloseTo(1.000274, 6);
    const c = samples[0]!.counters;
    expect(c["UNC_M_CAS_COUNT.RD"]!.value).toBeCloseTo(1.45e9, -7);
    expect(c["TOPDOWN.MEMORY_BOUND_SLOTS"]!.status).toBe("not-supported");
    expect(c["resctrl.llc_occupancy"]!.status).toBe("unavailable");
    expect(samples[1]!.counters["topdown-mem-bound"]!.status).toBe("not-counted");
  });

  it("perf can count nothing (e.g. paranoid): no perf child, states keep coming with everything absent", async () => {
    const denied: PerfExec = async (args) =>
      args[0] === "--version" ? { code: 0, output: "perf version 6.1.0\n" } : { code: 255, output: "Error:\nAccess to performance monitoring and observability operations is limited.\n" };
    const src = createPerfSource({ perfPath: "/nonexistent/perf", intervalMs: 100, exec: denied, pmuDevicesDir: "" });
    stops.push(() => src.stop());
    const caps = await src.init();
    expect(src.plan!.eventArg).toBe("");
    expect(caps.missingEvents.find((m) => m.event === "cpu-clock")?.detail).toMatch(/Access to performance monitoring/);
    const samples = await collect(src, 2);
    expect(samples[0]!.counters["cpu-clock"]!.status).toBe("not-supported");
    expect(samples[0]!.windowSec).toBeGreaterThan(0);
    expect(src.perfPid).toBeUndefined();
    expect(src.stats().restarts).toBe(0);
  });

  it("restarts perf when it exits and reports the restart", async () => {
    const fake = fakePerf({ exitAfter: true });
    const restarts: number[] = [];
    const src = createPerfSource({ perfPath: fake.path, intervalMs: 1000, exec: discovery(new Set()), pmuDevicesDir: "", initialBackoffMs: 50, hooks: { onRestart: (i) => restarts.push(i.run) } });
    stops.push(() => src.stop());
    await src.init();
    const samples = await collect(src, 4); // 3 from the first run, then the second run starts over
    expect(restarts[0]).toBe(1);
    expect(samples[3]!.windowSec).toBeCloseTo(1.000137, 6); // windows restart with the new perf run
    expect(src.stats().restarts).toBeGreaterThanOrEqual(1);
  });
});
