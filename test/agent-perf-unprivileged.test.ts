// The agent with real perf as an unprivileged user (perf_event_paranoid forbids system-wide
// counting): perf can count nothing, so the agent must still publish NodeStates with every PMU
// feature absent and the reasons, never crash or loop on perf. CPU utilisation still comes from
// /proc/stat, which needs no PMU permission. Needs root (to switch to `nobody` with su).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FeatureState } from "../gen/overseer/v1/features.js";
import { NodeState } from "../gen/overseer/v1/node_state.js";
import { featureIndex } from "../lib/features/catalog.js";
import { AGENT_MAIN, REPO, requireBuilt } from "./agent-helpers.js";

function canRun(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("perf", ["--version"], { stdio: "ignore" });
    execFileSync("su", ["-s", "/bin/sh", "nobody", "-c", "true"], { stdio: "ignore" });
    const paranoid = Number(readFileSync("/proc/sys/kernel/perf_event_paranoid", "utf8"));
    return paranoid >= 1; // system-wide counting is forbidden for nobody
  } catch {
    return false;
  }
}

describe.skipIf(!canRun())("agent --source perf as an unprivileged user", () => {
  it("publishes states with every PMU feature absent when perf may count nothing", () => {
    requireBuilt();
    const dir = mkdtempSync(join(tmpdir(), "agent-nobody-"));
    chmodSync(dir, 0o777);
    const out = join(dir, "states.jsonl");
    const cmd = `cd '${REPO}' && '${process.execPath}' '${AGENT_MAIN}' --source perf --interval 200ms --scorer '' --listen '' --metrics-listen '' --max-intervals 2 --record '${out}'`;
    let stderr = "";
    try {
      execFileSync("su", ["-s", "/bin/sh", "nobody", "-c", cmd], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    } catch (e) {
      stderr = String((e as { stderr?: string }).stderr ?? e);
      throw new Error(`agent failed as nobody: ${stderr}`);
    }
    const states = readFileSync(out, "utf8").trim().split("\n").map((l) => NodeState.fromJSON(JSON.parse(l)));
    expect(states.length).toBeGreaterThanOrEqual(2);
    const s = states[0]!;
    const cpu = featureIndex("cpu_utilization_fraction");
    expect(s.features!.states.filter((st, i) => i !== cpu && st === FeatureState.FEATURE_STATE_PRESENT)).toEqual([]);
    expect(s.features!.states[cpu]).toBe(FeatureState.FEATURE_STATE_PRESENT);
    expect(s.pmu!.availableEvents).toEqual(["procfs.cpu_busy_ms"]);
    expect(s.pmu!.missingEvents.find((m) => m.event === "cpu-clock")?.reason).toBe(FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED);
  }, 90_000);
});
