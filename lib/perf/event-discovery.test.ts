import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countImcPmus, discoverEvents, PerfUnavailableError, pmuOfSpec, type PerfExec } from "./event-discovery.js";

function splitEvents(list: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inside = false;
  for (const ch of list) {
    if (ch === "/") inside = !inside;
    if (ch === "," && !inside) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

// A fake perf (unit test only): answers like perf 6.x for a node that supports `supported`.
function fakePerf(supported: Set<string>, opts: { unknownPmus?: string[] } = {}): PerfExec & { calls: string[][] } {
  const calls: string[][] = [];
  const exec = (async (args: string[]) => {
    calls.push(args);
    if (args[0] === "--version") return { code: 0, output: "perf version 6.1.0\n" };
    const events = args[args.indexOf("-e") + 1]!;
    for (const pmu of opts.unknownPmus ?? []) {
      if (events.includes(`${pmu}/`)) return { code: 129, output: `event syntax error: '${events}'\n                     \\___ Cannot find PMU \`${pmu}'. Missing kernel support?\n` };
    }
    if (events.includes("slots") && !supported.has("slots")) return { code: 129, output: `event syntax error: '${events}'\n  \\___ parser error\n` };
    const names = splitEvents(events.replace(/[{}]/g, "")).map((s) => /name=([^,/]+)/.exec(s)?.[1] ?? s);
    const lines = names.map((n) => (supported.has(n) ? `123;;${n};1000;100.00;;` : `<not supported>;;${n};0;100.00;;`));
    return { code: 0, output: lines.join("\n") + "\n" };
  }) as PerfExec & { calls: string[][] };
  exec.calls = calls;
  return exec;
}

describe("discoverEvents", () => {
  it("one batch run when perf accepts every event", async () => {
    const exec = fakePerf(new Set(["slots", "topdown-retiring", "topdown-fe-bound", "topdown-bad-spec", "topdown-be-bound", "topdown-mem-bound", "instructions", "cpu-clock"]));
    const d = await discoverEvents(exec);
    expect(exec.calls).toHaveLength(2); // --version + batch
    expect(d.probes.get("instructions")).toEqual({ status: "supported" });
    expect(d.probes.get("cycles")?.status).toBe("not-supported");
    expect(d.probes.get("topdown-mem-bound")).toEqual({ status: "supported" });
  });

  it("probes one by one when the batch is rejected, and keeps perf's reason", async () => {
    const exec = fakePerf(new Set(["cpu-clock"]), { unknownPmus: ["cpu", "uncore_imc"] });
    const d = await discoverEvents(exec);
    expect(d.probes.get("cpu-clock")).toEqual({ status: "supported" });
    expect(d.probes.get("slots")).toMatchObject({ status: "not-supported", detail: expect.stringMatching(/parser error/) });
    expect(d.probes.get("LONGEST_LAT_CACHE.MISS")).toMatchObject({ status: "not-supported", detail: expect.stringMatching(/Cannot find PMU `cpu'/) });
    expect(d.probes.get("instructions")).toMatchObject({ status: "not-supported", detail: "perf reported <not supported>" });
  });

  it("does not probe raw events of PMUs absent from sysfs", async () => {
    const dev = mkdtempSync(join(tmpdir(), "pmu-"));
    mkdirSync(join(dev, "software"));
    const exec = fakePerf(new Set(["cpu-clock"]), { unknownPmus: ["cpu", "uncore_imc"] });
    const d = await discoverEvents(exec, { devicesDir: dev });
    expect(d.probes.get("L2_RQSTS.MISS")).toMatchObject({ status: "not-supported", detail: expect.stringMatching(/PMU cpu is not present/) });
    expect(exec.calls.some((c) => c.join(" ").includes("L2_RQSTS.MISS"))).toBe(true); // only in the batch
    expect(exec.calls.filter((c) => c.join(" ").includes("L2_RQSTS.MISS"))).toHaveLength(1);
  });

  it("falls back to topdown level 1 when level 2 is rejected", async () => {
    const l1 = ["slots", "topdown-retiring", "topdown-fe-bound", "topdown-bad-spec", "topdown-be-bound"];
    const base = fakePerf(new Set([...l1, "cpu-clock"]), { unknownPmus: ["cpu"] });
    const exec = (async (args: string[]) => {
      const ev = args[args.indexOf("-e") + 1] ?? "";
      if (ev.includes("topdown-mem-bound")) return { code: 129, output: "event syntax error\n \\___ parser error\n" };
      return base(args);
    }) as PerfExec;
    const d = await discoverEvents(exec);
    expect(d.probes.get("topdown-retiring")).toEqual({ status: "supported" });
    expect(d.probes.get("topdown-mem-bound")?.status).toBe("not-supported");
  });

  it("throws PerfUnavailableError when perf cannot run", async () => {
    await expect(discoverEvents(async () => ({ code: 127, output: "cannot run perf: spawn perf ENOENT" }))).rejects.toBeInstanceOf(PerfUnavailableError);
  });

  it("helpers", () => {
    expect(pmuOfSpec("cpu/event=0x2e,umask=0x41/")).toBe("cpu");
    expect(pmuOfSpec("instructions")).toBeUndefined();
    const dev = mkdtempSync(join(tmpdir(), "imc-"));
    for (const d of ["uncore_imc_0", "uncore_imc_1", "uncore_cha_0"]) mkdirSync(join(dev, d));
    expect(countImcPmus(dev)).toBe(2);
    expect(countImcPmus(join(dev, "missing"))).toBe(0);
  });
});
