// Benchmark: the node agent's overhead at a 1 s interval — CPU time per interval and RSS — for the
// sim source and the replay source (pipeline run in a fresh child process, as fast as possible for
// N intervals: source -> derivation -> NodeState -> protobuf encode (what the gRPC stream sends) +
// JSONL recording), and for the real agent process with `perf` on this machine (software events
// only here), sampled from /proc over a few 1 s windows.
//
// RSS of the in-process rows is read after a GC (at a 1 s pace the collector runs between
// windows); the RSS before it is printed too. The process row samples VmRSS of the running agent.
// Printed against the targets (< 0.5 % of one core, < 80 MB RSS) as ratios (< 1.00 = within target),
// and against a baseline measured in the same run: deriveFeatures alone on the same counters.
//
// Usage: node dist/bench/agent-overhead.js [--intervals 2000] [--perf-seconds 10] [--no-perf]
//   The perf row reads utime+stime from /proc in 10 ms ticks: its resolution is 10 ms / perf-seconds.
//   (build first: npx tsc -p .)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NodeState } from "../gen/overseer/v1/node_state.js";
import { startAgent } from "../lib/agent/agent.js";
import type { CounterSource } from "../lib/agent/counter-source.js";
import { createAgentMetrics } from "../lib/agent/metrics.js";
import { buildNodeFacts, parseCpuinfo } from "../lib/agent/node-facts.js";
import { createJsonlRecorder } from "../lib/agent/publishers/jsonl-recorder.js";
import type { Publisher } from "../lib/agent/publishers/publisher.js";
import { deriveFeatures } from "../lib/features/derive.js";
import type { IntervalCounters } from "../lib/features/counters.js";

const TARGET_CPU_PERCENT = 0.5;
const TARGET_RSS_MB = 80;
const HERE = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL("../..", import.meta.url));

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};

interface Row {
  name: string;
  intervals: number;
  cpuUsPerInterval: number;
  /** RSS used for the ratio: after a GC for the as-fast-as-possible rows, as sampled for the process row. */
  rssMb: number;
  /** RSS at the end of the as-fast-as-possible run, before the GC (garbage of 2000 back-to-back windows). */
  rssBeforeGcMb?: number;
  baselineUsPerInterval?: number;
}

/** A replay file of n 1-second intervals built from the synthetic SPR fixture. */
function bigRecording(n: number): string {
  const src = readFileSync(join(REPO, "test/fixtures/perf/spr-2s-interval.perf.txt"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
  const byTs = new Map<string, string[]>();
  for (const l of src) {
    const ts = l.split(";")[0]!.trim();
    if (!byTs.has(ts)) byTs.set(ts, []);
    byTs.get(ts)!.push(l.slice(l.indexOf(";")));
  }
  const groups = [...byTs.values()];
  const out: string[] = ["# SYNTHETIC: the spr-2s-interval fixture repeated for the agent overhead benchmark"];
  for (let i = 0; i < n; i++) for (const rest of groups[i % groups.length]!) out.push(`${(i + 1).toFixed(9).padStart(14)}${rest}`);
  const dir = mkdtempSync(join(tmpdir(), "agent-bench-"));
  const path = join(dir, "rec.perf.txt");
  writeFileSync(path, out.join("\n") + "\n");
  return path;
}

function encodePublisher(): Publisher {
  let bytes = 0;
  return {
    name: "encode",
    publish(s) {
      bytes += NodeState.encode(s).finish().length;
    },
    async close() {
      void bytes;
    },
  };
}

/** Child mode: run one pipeline, print one JSON row. */
async function child(kind: string, n: number, recording: string, warmRecording: string): Promise<void> {
  // Load only the source under test, as the agent does.
  const makeSource = async (seed: number, path: string): Promise<CounterSource> => {
    if (kind === "sim") {
      const { createSimSource } = await import("../lib/agent/sources/sim-source.js");
      return createSimSource({ variant: "spr-full", seed, nodeName: `bench-${seed}`, mix: "upf-64b,mem-bw-streamer:32", windowSec: 1, paceMs: 0 });
    }
    const { createReplaySource } = await import("../lib/agent/sources/replay-source.js");
    return createReplaySource({ path, paceMs: 0 });
  };
  const sprFacts = () => buildNodeFacts(parseCpuinfo(""), 210 * 1024 * 1024, { logicalCpus: 224, tscHz: 2e9, memoryChannels: 16 });
  const source = await makeSource(1, recording);
  const dir = mkdtempSync(join(tmpdir(), "agent-bench-out-"));
  const samples: IntervalCounters[] = [];
  let capacity = sprFacts().capacity;
  // Warm-up run (JIT), then the measured run on a fresh source.
  const run = async (src: CounterSource, count: number, keep: boolean) => {
    const agent = await startAgent({
      source: src,
      localFacts: sprFacts,
      nodeName: "bench",
      agentId: "bench",
      intervalMs: 1000,
      publishers: [encodePublisher(), createJsonlRecorder(join(dir, `${keep ? "m" : "w"}.jsonl`))],
      metrics: createAgentMetrics(),
      log: () => undefined,
      maxIntervals: count,
      onState: (_s, sample) => {
        if (keep && samples.length < 200) samples.push(sample.counters);
      },
    });
    if (agent.capabilities.nodeFacts) capacity = agent.capabilities.nodeFacts.capacity;
    await agent.done;
  };
  const warm = await makeSource(2, warmRecording);
  await run(warm, 50, false);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run(source, n, true);
  const cpu = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  const rssBeforeGcMb = process.memoryUsage().rss / 2 ** 20;
  // At a 1 s pace the collector runs between windows; back-to-back windows pile up garbage first.
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 100));
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  // Baseline: deriveFeatures alone on the same counters.
  const reps = Math.max(1, Math.floor(n / samples.length));
  const b0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) for (const s of samples) deriveFeatures(s, 1, capacity);
  const b = process.cpuUsage(b0);
  const row: Row = {
    name: kind === "sim" ? "sim source (in-process pipeline)" : "replay source (in-process pipeline)",
    intervals: n,
    cpuUsPerInterval: (cpu.user + cpu.system) / n,
    rssMb,
    rssBeforeGcMb,
    baselineUsPerInterval: (b.user + b.system) / (reps * samples.length),
  };
  void wallMs;
  process.stdout.write(JSON.stringify(row) + "\n");
}

function procCpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}

function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The real agent process with --source perf: CPU per 1 s window from /proc (agent only, not perf). */
async function perfRow(seconds: number): Promise<Row | string> {
  if (spawnSync("perf", ["--version"]).status !== 0) return "perf not installed: perf row skipped";
  const main = join(REPO, "dist/cmd/agent/main.js");
  const p = spawn(process.execPath, [main, "--source", "perf", "--interval", "1s", "--scorer", "", "--listen", "", "--metrics-listen", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
  let windows = 0;
  let started = false;
  let resolveStart!: () => void;
  const startedP = new Promise<void>((r) => (resolveStart = r));
  p.stderr.setEncoding("utf8");
  p.stderr.on("data", (d: string) => {
    for (const line of d.split("\n")) {
      if (line.includes('"features present"') || /"msg":"\d+ of \d+ features present"/.test(line)) windows++;
      if (!started && line.includes('"msg":"agent running"')) {
        started = true;
        resolveStart();
      }
    }
  });
  await Promise.race([startedP, new Promise((r) => setTimeout(r, 30_000))]);
  if (!started) {
    p.kill("SIGKILL");
    return "agent did not start within 30 s: perf row skipped";
  }
  await new Promise((r) => setTimeout(r, 2500)); // settle past start-up
  const hz = 100; // USER_HZ on Linux
  const t0 = procCpuTicks(p.pid!);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const t1 = procCpuTicks(p.pid!);
  const rss = procRssMb(p.pid!);
  p.kill("SIGTERM");
  await new Promise((r) => p.on("exit", r));
  void windows;
  return { name: "perf source (agent process, software events here)", intervals: seconds, cpuUsPerInterval: (((t1 - t0) / hz) * 1e6) / seconds, rssMb: rss };
}

function runChild(kind: string, n: number, recording = "", warm = ""): Row {
  const r = spawnSync(process.execPath, ["--expose-gc", HERE, "--child", kind, "--intervals", String(n), "--recording", recording, "--warm-recording", warm], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bench child ${kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Row;
}

async function main(): Promise<void> {
  const n = Number(arg("intervals", "2000"));
  if (process.argv.includes("--child")) return child(arg("child", "sim"), n, arg("recording", ""), arg("warm-recording", ""));
  const rows: (Row | string)[] = [runChild("sim", n), runChild("replay", n, bigRecording(n + 10), bigRecording(60))];
  if (!process.argv.includes("--no-perf")) rows.push(await perfRow(Number(arg("perf-seconds", "10"))));
  console.log(`agent overhead at a 1 s interval; targets: < ${TARGET_CPU_PERCENT} % of one core, < ${TARGET_RSS_MB} MB RSS (ratio < 1.00 = within target)`);
  console.log("counters of the sim and replay rows are SYNTHETIC (simulator / synthetic SPR recording)");
  for (const r of rows) {
    if (typeof r === "string") {
      console.log(`  ${r}`);
      continue;
    }
    const pct = (r.cpuUsPerInterval / 1e6) * 100; // CPU seconds per 1 s window, as % of one core
    const base = r.baselineUsPerInterval !== undefined ? `; baseline deriveFeatures alone ${r.baselineUsPerInterval.toFixed(1)} µs -> pipeline/baseline ${(r.cpuUsPerInterval / r.baselineUsPerInterval).toFixed(1)}x` : "";
    console.log(
      `  ${r.name.padEnd(52)} ${String(r.intervals).padStart(5)} intervals  CPU ${r.cpuUsPerInterval.toFixed(1).padStart(8)} µs/interval = ${pct.toFixed(4)} % of a core (ratio ${(pct / TARGET_CPU_PERCENT).toFixed(3)})  RSS ${r.rssMb.toFixed(1)} MB (ratio ${(r.rssMb / TARGET_RSS_MB).toFixed(2)})${r.rssBeforeGcMb !== undefined ? ` [${r.rssBeforeGcMb.toFixed(1)} MB before GC]` : ""}${base}`,
    );
  }
}

await main();
