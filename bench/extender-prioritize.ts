// Benchmark: prioritize latency (p50/p99), throughput and CPU per call at 100, 1,000 and 5,000
// candidate nodes, beside the floors measured in the same run, printed as ratios.
//
// Rows:
//   floor (no-op)   a no-op extender endpoint: Node's HTTP server, the extender's body decode and
//                   answer encoder, constant scores (no workload mapping, span, metrics, gRPC)
//   extender+fake   the real extender (HTTP, decode, workload mapping, span, metrics, circuit
//                   breaker, gRPC client) calling a real grpc-js ScorerService that answers
//                   constant scores: the extender's own cost without any model
//   extender+real   the extender calling a real scorer-svc (with a real regime-svc and the bundle
//                   of --bundle-dir, or the synthetic test bundle) fed node-0..node-N-1, while a
//                   background IngestNodeStates stream gives each of the row's N nodes a new state
//                   --churn-per-node-hz times per second (the agents; 0 = static states), so a
//                   prediction cache in scorer-svc sees realistic invalidation
//   raw inference   the same bundle's interference model on the same N rows (sequential
//                   predict calls, nothing else running): the second floor
// Target: e2e p99 <= 1.5 x (floor p99 + raw inference p99); >= 500 calls/s at 1,000 nodes.
//
// Layouts:
//   --processes     as deployed: regime-svc in one child process, scorer-svc (and the constant
//                   scorer) in another, the extenders and the floor endpoint in a third, and this
//                   process only the load (kube-scheduler's side): a raw keep-alive HTTP/1.1 client
//                   sending pre-encoded requests. The churn stream (the agents, which run on other
//                   nodes) is a nice-19 child of its own (bench/churn-ingest.ts). CPU per call is measured
//                   per process (process.cpuUsage of each). --telemetry runs both children under
//                   the services' OpenTelemetry preload (spans recorded, OTEL_TRACES_EXPORTER=none);
//                   without it they run with OTEL_SDK_DISABLED=true, like the default layout.
//   (default)       everything in this one process (one event loop): CPU per call is the sum.
//
// Latency is from sequential calls (kube-scheduler calls an extender once per pod at a time);
// throughput from a closed loop with --concurrency callers, each on its own keep-alive connection.
//
// Usage: node dist/bench/extender-prioritize.js [--processes] [--sizes 100,1000,5000] [--seconds 3]
//        [--concurrency 4] [--no-scorer] [--onnx-threads 1] [--bundle-dir models/default]
//        [--churn-per-node-hz 1] [--telemetry] [--scorer-transports h2,grpc-js] [--decision-classify-max N]
//        [--buffer-gc-mb N]
//
// --scorer-transports: the extender rows are run once per listed scorer-svc client (the extender's
// --scorer-transport: h2 = the lean client (its own HTTP/2), grpc-js = the generated grpc-js client),
// each with its own extender instances, so both are measured in one run (default: h2).
// --decision-classify-max: scorer-svc's flag (default: its default).
// --buffer-gc-mb: scorer-svc's flag (default: its default; 0 = off).
import os from "node:os";
import { performance } from "node:perf_hooks";
import { Registry } from "prom-client";
import type { ScoreNodesResponse } from "../gen/overseer/v1/scorer_service.js";
import { startExtender, type Extender } from "../lib/extender/app.js";
import { decodeExtenderBody } from "../lib/extender/body-scan.js";
import { createCircuitBreaker } from "../lib/extender/circuit-breaker.js";
import { parseExtenderConfig, type ScorerTransport } from "../lib/extender/config.js";
import { silentLogger } from "../lib/extender/log.js";
import { createExtenderMetrics } from "../lib/extender/metrics.js";
import { createExtenderService } from "../lib/extender/service.js";
import { encodeHostPrioritiesJson } from "../lib/extender/wire.js";
import { decodeScoreNodesRequest, decodeScoreNodesResponse, encodeNamesRequest } from "../lib/scorer/score-nodes-codec.js";
import { encodeScoreNodesResponse } from "../lib/scorer/wire.js";
import { startChurn } from "./churn-ingest.js";
import { encodeHttpPost, KeepAliveConnection } from "./extender-bench-client.js";
import { forkChild, type Child, type ExtenderChildInfo, type ExtenderPorts, type RegimeChildInfo, type ScorerChildInfo } from "./extender-bench-children.js";
import { GcPauses } from "./gc-pauses.js";
import { percentile, PRIORITIZE_PATH, requestBody, startConstantScorer, startNoopEndpoint, startRealScorer, type RealScorer } from "./extender-bench-servers.js";

interface Options {
  sizes: number[];
  seconds: number;
  concurrency: number;
  withScorer: boolean;
  onnxThreads: number;
  /** Bundle for scorer-svc; undefined = the synthetic test bundle. */
  bundleDir: string | undefined;
  processes: boolean;
  churnHz: number;
  /** --processes only: children under the OpenTelemetry preload (spans recorded, not exported). */
  telemetry: boolean;
  /** The extender's --scorer-transport for each set of extender rows. */
  transports: ScorerTransport[];
  /** scorer-svc's --decision-classify-max; undefined: its default. */
  decisionClassifyMax: number | undefined;
  /** scorer-svc's --buffer-gc-mb; undefined: its default. */
  bufferGcMb: number | undefined;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [100, 1000, 5000], seconds: 3, concurrency: 4, withScorer: true, onnxThreads: 1, bundleDir: undefined, processes: false, churnHz: 1, telemetry: false, transports: ["h2"], decisionClassifyMax: undefined, bufferGcMb: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--sizes") o.sizes = value().split(",").map(Number);
    else if (flag === "--seconds") o.seconds = Number(value());
    else if (flag === "--concurrency") o.concurrency = Number(value());
    else if (flag === "--no-scorer") o.withScorer = false;
    else if (flag === "--onnx-threads") o.onnxThreads = Number(value());
    else if (flag === "--bundle-dir") o.bundleDir = value();
    else if (flag === "--processes") o.processes = true;
    else if (flag === "--churn-per-node-hz") o.churnHz = Number(value());
    else if (flag === "--telemetry") o.telemetry = true;
    else if (flag === "--decision-classify-max") o.decisionClassifyMax = Number(value());
    else if (flag === "--buffer-gc-mb") o.bufferGcMb = Number(value());
    else if (flag === "--scorer-transports") {
      const list = value().split(",");
      if (list.length === 0 || list.some((t) => t !== "h2" && t !== "grpc-js") || new Set(list).size !== list.length) {
        throw new Error(`--scorer-transports: a comma-separated list of distinct h2 / grpc-js, got "${list.join(",")}"`);
      }
      o.transports = list as ScorerTransport[];
    }
    else throw new Error(`unknown flag ${flag} (see the usage at the top of bench/extender-prioritize.ts)`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 1) || !(o.seconds > 0) || !Number.isInteger(o.concurrency) || o.concurrency < 1) {
    throw new Error("bad --sizes/--seconds/--concurrency");
  }
  if (!(o.churnHz >= 0) || o.churnHz > 20) throw new Error("--churn-per-node-hz must be within [0, 20]");
  if (o.decisionClassifyMax !== undefined && !(Number.isInteger(o.decisionClassifyMax) && o.decisionClassifyMax >= 0)) throw new Error("--decision-classify-max must be an integer >= 0");
  if (o.bufferGcMb !== undefined && !(o.bufferGcMb >= 0 && o.bufferGcMb <= 1024)) throw new Error("--buffer-gc-mb must be within [0, 1024]");
  if (o.telemetry && !o.processes) throw new Error("--telemetry needs --processes (the preload must load before the services)");
  return o;
}

/** A process whose CPU is sampled around each phase, and whose GC pauses can be listed. */
interface CpuProbe {
  name: string;
  cpuMs(): Promise<number>;
  gcPauses(t0: number, t1: number): Promise<{ start: number; ms: number }[]>;
}

const selfGc = new GcPauses();
const selfProbe = (name: string): CpuProbe => ({
  name,
  cpuMs: async () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  },
  gcPauses: async (t0, t1) => {
    await new Promise((r) => setImmediate(r));
    return selfGc.pausesEpoch(t0, t1);
  },
});

/**
 * The slowest 1% of the sequential calls (the ones that set p99), and how many of them overlap a
 * GC pause of each process's main thread; the rest were slow for other reasons (scheduling,
 * other work on the same thread, worker threads' collections).
 */
async function tailCauses(starts: number[], lat: number[], probes: CpuProbe[]): Promise<string> {
  const k = Math.max(1, Math.ceil(lat.length / 100));
  const slow = lat.map((ms, i) => ({ start: starts[i]!, ms })).sort((a, b) => b.ms - a.ms).slice(0, k);
  const t0 = starts[0]!;
  const t1 = starts[starts.length - 1]! + lat[lat.length - 1]!;
  const pauses = await Promise.all(probes.map((p) => p.gcPauses(t0, t1)));
  const hits = probes.map(() => 0);
  let none = 0;
  for (const c of slow) {
    let any = false;
    pauses.forEach((list, i) => {
      if (list.some((g) => g.start < c.start + c.ms && g.start + g.ms > c.start)) {
        hits[i]!++;
        any = true;
      }
    });
    if (!any) none++;
  }
  const gcTotals = pauses.map((list, i) => `${probes[i]!.name} ${list.length} (${list.reduce((a, g) => a + g.ms, 0).toFixed(0)} ms)`).join(", ");
  return `slowest ${k} of ${lat.length} sequential calls (${slow[k - 1]!.ms.toFixed(2)}-${slow[0]!.ms.toFixed(2)} ms): overlapping a GC pause of ${probes.map((p, i) => `${p.name} ${hits[i]}`).join(", ")}; of none ${none}. GC pauses in the phase: ${gcTotals}`;
}

interface Result {
  p50: number;
  p99: number;
  rps: number;
  n: number;
  /** What the slowest 1% of the sequential calls overlapped (tailCauses). */
  tail: string;
  /** CPU ms per call of each probe: sequential phase, closed-loop phase. */
  seqCpu: number[];
  loopCpu: number[];
}

const readAll = (probes: CpuProbe[]) => Promise.all(probes.map((p) => p.cpuMs()));

/** Per size and row, before any measurement (see main). */
const WARM_UP_MS = 400;

async function warmUp(port: number, request: Buffer, ms: number): Promise<void> {
  const c = await KeepAliveConnection.open(port);
  try {
    const end = performance.now() + ms;
    while (performance.now() < end) await c.post(request);
  } finally {
    c.close();
  }
}

/** Sequential calls for latency, then a closed loop for throughput; CPU of each probe around both. */
async function measure(port: number, request: Buffer, nodes: number, opts: Options, probes: CpuProbe[]): Promise<Result> {
  const conns = await Promise.all(Array.from({ length: opts.concurrency }, () => KeepAliveConnection.open(port)));
  try {
    const first = conns[0]!;
    // Every row must answer the whole HostPriorityList, in request order, with valid scores.
    const answer = JSON.parse((await first.postForBody(request)).toString("utf8")) as { Host: string; Score: number }[];
    const bad = answer.length !== nodes ? -2 : answer.findIndex((h, i) => h.Host !== `node-${i}` || !Number.isInteger(h.Score) || h.Score < 0 || h.Score > 10);
    if (bad !== -1) throw new Error(`port ${port}: wrong answer (${answer.length} entries for ${nodes} nodes; first bad entry ${bad}: ${JSON.stringify(answer[bad])})`);
    const warmEnd = performance.now() + 300;
    while (performance.now() < warmEnd) await first.post(request);
    const c0 = await readAll(probes);
    const lat: number[] = [];
    const starts: number[] = [];
    const latEnd = performance.now() + (opts.seconds * 1000) / 2;
    while (performance.now() < latEnd || lat.length < 20) {
      starts.push(performance.timeOrigin + performance.now());
      lat.push(await first.post(request));
    }
    const c1 = await readAll(probes);
    const tail = await tailCauses(starts, lat, probes);
    lat.sort((a, b) => a - b);
    let done = 0;
    const t0 = performance.now();
    const tpEnd = t0 + (opts.seconds * 1000) / 2;
    await Promise.all(
      conns.map(async (c) => {
        while (performance.now() < tpEnd) {
          await c.post(request);
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const c2 = await readAll(probes);
    return {
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      rps: done / elapsed,
      n: lat.length,
      tail,
      seqCpu: c1.map((v, i) => (v - c0[i]!) / lat.length),
      loopCpu: c2.map((v, i) => (v - c1[i]!) / done),
    };
  } finally {
    for (const c of conns) c.close();
  }
}

/**
 * CPU-only decomposition without sockets (this process): the floor's work (decode + encode),
 * then the extender's service logic with an in-memory backend, then with the protobuf encode and
 * decode of the scorer request and answer added (both sides' codecs). ms of CPU per call.
 */
async function cpuBreakdown(n: number): Promise<{ floor: number; logic: number; proto: number }> {
  const body = requestBody(n);
  const resp: ScoreNodesResponse = { modelVersion: "constant", packedScores: Buffer.alloc(n, 5), scores: [] };
  const respBytes = encodeScoreNodesResponse(resp);
  const service = (viaProto: boolean) =>
    createExtenderService({
      backend: {
        scoreNodes: async (req) => {
          if (!viaProto) return resp;
          decodeScoreNodesRequest(encodeNamesRequest(req));
          return decodeScoreNodesResponse(respBytes);
        },
        filterNodes: async () => ({ feasibleNodeNames: [], filtered: [] }),
        close: () => undefined,
      },
      breaker: createCircuitBreaker({ failureThreshold: 5, coolDownMs: 1000 }),
      metrics: createExtenderMetrics(new Registry()),
      logger: silentLogger,
      backendDeadlineMs: 2000,
      onBackendError: "pass",
    });
  const iters = Math.max(20, Math.round(100_000 / n));
  const cpuPerCall = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 10; i++) await fn();
    const c0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) await fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / iters;
  };
  const answer = async (s: ReturnType<typeof service>) => {
    const req = decodeExtenderBody(body);
    return encodeHostPrioritiesJson(req.nodeNames, await s.prioritizeScores(req), req.plainNames);
  };
  const plain = service(false);
  const proto = service(true);
  return {
    floor: await cpuPerCall(async () => {
      const req = decodeExtenderBody(body);
      return encodeHostPrioritiesJson(req.nodeNames, new Array<number>(req.nodeNames.length).fill(5), req.plainNames);
    }),
    logic: await cpuPerCall(() => answer(plain)),
    proto: await cpuPerCall(() => answer(proto)),
  };
}

/** Where the rows' servers run, however they were started. */
interface Layout {
  description: string;
  floorPort: number;
  extenders: ExtenderPorts[];
  realAddress: string | undefined;
  bundleSource: string;
  modelVersion: string;
  probes: CpuProbe[];
  inference(rows: number, seconds: number): Promise<{ p50: number; p99: number }>;
  degraded(which: "fake" | "real", transport: ScorerTransport): Promise<boolean>;
  cacheMetrics(): Promise<string[]>;
  stop(): Promise<void>;
}

async function inProcessLayout(opts: Options): Promise<Layout> {
  const floor = await startNoopEndpoint();
  const fake = await startConstantScorer();
  const argv = ["--listen", "127.0.0.1:0", "--breaker-failures", "1000000"];
  const start = (address: string, transport: ScorerTransport) =>
    startExtender(parseExtenderConfig([...argv, "--scorer-address", address, "--scorer-transport", transport], {}), { registry: new Registry(), logger: silentLogger });
  const real: RealScorer | undefined = opts.withScorer ? await startRealScorer(Math.max(...opts.sizes), opts.onnxThreads, opts.bundleDir, { decisionClassifyMax: opts.decisionClassifyMax, bufferGcMb: opts.bufferGcMb }) : undefined;
  const running: { transport: ScorerTransport; fake: Extender; real: Extender | undefined }[] = [];
  for (const transport of opts.transports) running.push({ transport, fake: await start(fake.address, transport), real: real ? await start(real.address, transport) : undefined });
  const degradedIn = async (ext: Extender | undefined) => /_total\{/.test(ext ? await ext.registry.getSingleMetricAsString("overseer_extender_degraded_total") : "");
  return {
    description: "everything in this one process (client, floor, extenders, scorer-svc, regime-svc: one event loop)",
    floorPort: floor.port,
    extenders: running.map((r) => ({ transport: r.transport, fakePort: r.fake.server.port, realPort: r.real?.server.port })),
    realAddress: real?.address,
    bundleSource: real?.bundleSource ?? "-",
    modelVersion: real?.modelVersion ?? "-",
    probes: [selfProbe("all")],
    inference: (rows, seconds) => real!.measureInference(rows, seconds),
    degraded: (which, transport) => {
      const pair = running.find((r) => r.transport === transport);
      return degradedIn(which === "real" ? pair?.real : pair?.fake);
    },
    cacheMetrics: async () => (real ? real.cacheMetrics() : []),
    async stop() {
      for (const r of running) {
        await r.fake.close();
        await r.real?.close();
      }
      await real?.stop();
      fake.close();
      floor.close();
    },
  };
}

async function processesLayout(opts: Options): Promise<Layout> {
  const regime: Child<RegimeChildInfo> | undefined = opts.withScorer
    ? await forkChild("regime", { onnxThreads: opts.onnxThreads, bundleDir: opts.bundleDir }, opts.telemetry)
    : undefined;
  const scorer: Child<ScorerChildInfo> = await forkChild("scorer", {
    nodes: Math.max(...opts.sizes),
    onnxThreads: opts.onnxThreads,
    regime: regime?.info,
    decisionClassifyMax: opts.decisionClassifyMax,
    bufferGcMb: opts.bufferGcMb,
  }, opts.telemetry);
  const ext: Child<ExtenderChildInfo> = await forkChild("extender", { fakeAddress: scorer.info.fakeAddress, realAddress: scorer.info.realAddress, transports: opts.transports }, opts.telemetry);
  const probe = (name: string, c: Child<unknown>): CpuProbe => ({ name, cpuMs: () => c.cpuMs(), gcPauses: (t0, t1) => c.gcPauses(t0, t1) });
  return {
    description: `${opts.telemetry ? "tracing on in the children (OTel preload, spans recorded, exporter none); " : ""}${regime ? 4 : 3} processes: this one = load only (raw keep-alive HTTP client; the churn stream runs in a nice-19 child), extender child (pid ${ext.pid}: floor, extender+fake, extender+real), scorer child (pid ${scorer.pid}: scorer-svc, constant scorer)${regime ? `, regime child (pid ${regime.pid}: regime-svc)` : ""}`,
    floorPort: ext.info.floorPort,
    extenders: ext.info.extenders,
    realAddress: scorer.info.realAddress,
    bundleSource: scorer.info.bundleSource,
    modelVersion: scorer.info.modelVersion,
    probes: [selfProbe("client"), probe("extender", ext), probe("scorer", scorer), ...(regime ? [probe("regime", regime)] : [])],
    inference: (rows, seconds) => scorer.ask("inference", { rows, seconds }),
    degraded: (which, transport) => ext.ask<boolean>("degraded", { which, transport }),
    cacheMetrics: () => scorer.ask<string[]>("cacheMetrics"),
    async stop() {
      await ext.stop();
      await scorer.stop();
      await regime?.stop();
    },
  };
}

const f = (x: number, d = 2) => x.toFixed(d).padStart(8);
const loadavg = () => os.loadavg().map((v) => v.toFixed(2)).join(", ");

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  console.log(`load average at start: ${loadavg()} (${os.cpus().length} cores)`);
  const layout = await (opts.processes ? processesLayout(opts) : inProcessLayout(opts));
  console.log(`layout: ${layout.description}`);
  const withReal = layout.extenders.some((e) => e.realPort !== undefined);
  if (withReal) {
    console.log(`scorer-svc with regime-svc, bundle ${layout.bundleSource} (${layout.modelVersion}), onnx threads ${opts.onnxThreads}; churn during extender+real rows: ${opts.churnHz} new state(s) per node per second`);
  }
  console.log(`prioritize, nodeCacheCapable: true; ${opts.seconds}s per row (half sequential for latency, half closed loop with ${opts.concurrency} keep-alive callers)`);
  const cpuHead = layout.probes.map((p) => `${p.name} cpu`.padStart(13)).join("");
  console.log(`${"nodes".padStart(6)} ${"row".padEnd(30)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"calls/s".padStart(8)} ${"p99/flr".padStart(8)}  ms/call seq:${cpuHead} | loop:${cpuHead}`);
  const summary: string[] = [];
  const cpuCells = (v: number[]) => v.map((x) => f(x, 3).padStart(13)).join("");
  const extIndex = layout.probes.findIndex((p) => p.name === "extender");
  let churnRuns = 0;
  // JIT warm-up of every path before any row is measured: each row's own 300 ms warm-up left the
  // first sizes measuring code V8 was still compiling (extender CPU per call at 100 nodes came out
  // higher than at 1,000). kube-scheduler calls a long-running extender, so the rows measure
  // optimized code.
  for (const n of opts.sizes) {
    const body = requestBody(n);
    const ports = [layout.floorPort, ...layout.extenders.flatMap((e) => (e.realPort !== undefined ? [e.fakePort, e.realPort] : [e.fakePort]))];
    for (const port of ports) await warmUp(port, encodeHttpPost(port, PRIORITIZE_PATH, body), WARM_UP_MS);
  }
  for (const n of opts.sizes) {
    const body = requestBody(n);
    const tag = (t: ScorerTransport) => (opts.transports.length > 1 ? ` [${t}]` : "");
    const rows: [string, number, boolean, ScorerTransport | undefined][] = [["floor (no-op)", layout.floorPort, false, undefined]];
    for (const e of layout.extenders) rows.push([`extender+fake${tag(e.transport)}`, e.fakePort, false, e.transport]);
    for (const e of layout.extenders) if (e.realPort !== undefined) rows.push([`extender+real churn ${opts.churnHz}${tag(e.transport)}`, e.realPort, true, e.transport]);
    const realResults: [string, Result][] = [];
    let base: Result | undefined;
    for (const [name, port, isReal, transport] of rows) {
      // Each churn starts its sequences above every earlier one (the initial ingest used 1).
      const churn = isReal && opts.churnHz > 0
        ? startChurn({ address: layout.realAddress!, names: Array.from({ length: n }, (_, i) => `node-${i}`), hzPerNode: opts.churnHz, firstSequence: 1_000_000 * ++churnRuns })
        : undefined;
      if (churn) {
        // The churn's own cost, with no prioritize calls: 1 s of ingest (and regime) work alone.
        await new Promise((r) => setTimeout(r, 300));
        const a = await readAll(layout.probes);
        await new Promise((r) => setTimeout(r, 1000));
        const b = await readAll(layout.probes);
        summary.push(`churn alone at ${n} nodes (no calls), CPU ms per second: ${layout.probes.map((p, i) => `${p.name} ${(b[i]! - a[i]!).toFixed(0)}`).join(", ")}`);
      }
      const r = await measure(port, encodeHttpPost(port, PRIORITIZE_PATH, body), n, opts, layout.probes);
      const churned = await churn?.stop();
      base ??= r;
      summary.push(`tail at ${n} nodes, ${name}: ${r.tail}`);
      console.log(
        `${String(n).padStart(6)} ${name.padEnd(30)} ${f(r.p50)} ${f(r.p99)} ${f(r.rps, 0)} ${f(r.p99 / base.p99)}              ${cpuCells(r.seqCpu)} |      ${cpuCells(r.loopCpu)}`,
      );
      if (!isReal && transport !== undefined) {
        if (await layout.degraded("fake", transport)) summary.push(`WARNING: degraded answers in the ${name} ${n}-node row (numbers not comparable)`);
        if (extIndex >= 0) summary.push(`extender CPU per call at ${n} nodes (${name} row, extender process): ${r.seqCpu[extIndex]!.toFixed(3)} ms sequential, ${r.loopCpu[extIndex]!.toFixed(3)} ms in the closed loop; floor row ${base.seqCpu[extIndex]!.toFixed(3)} / ${base.loopCpu[extIndex]!.toFixed(3)} ms`);
        if (n === 1000) summary.push(`${name} throughput at 1,000 nodes: ${r.rps.toFixed(0)} calls/s`);
      }
      if (isReal && transport !== undefined) {
        if (churned) {
          summary.push(`churn at ${n} nodes (${name}): ${churned.sent} states sent in ${churned.seconds.toFixed(1)} s (${(churned.sent / churned.seconds / n).toFixed(2)} per node per second), ${churned.accepted} accepted by scorer-svc`);
        }
        if (await layout.degraded("real", transport)) summary.push(`WARNING: degraded answers in the ${name} ${n}-node row (numbers not comparable)`);
        realResults.push([name, r]);
      }
    }
    if (realResults.length > 0 && base) {
      const inf = await layout.inference(n, opts.seconds);
      console.log(`${String(n).padStart(6)} ${"raw inference".padEnd(30)} ${f(inf.p50)} ${f(inf.p99)}`);
      const floorSum = base.p99 + inf.p99;
      for (const [name, r] of realResults) {
        summary.push(
          `e2e p99 at ${n} nodes (${name}): ${r.p99.toFixed(2)} ms vs floors ${base.p99.toFixed(2)} + ${inf.p99.toFixed(2)} = ${floorSum.toFixed(2)} ms -> ${(r.p99 / floorSum).toFixed(2)}x (target <= 1.5x: ${r.p99 <= 1.5 * floorSum ? "MET" : "NOT MET"})`,
        );
        if (n === 1000) summary.push(`e2e throughput at 1,000 nodes (${name}): ${r.rps.toFixed(0)} calls/s (target >= 500) -> ${r.rps >= 500 ? "MET" : "NOT MET"}`);
      }
      const cache = await layout.cacheMetrics();
      if (cache.length > 0) summary.push(`scorer-svc cache metrics after the ${n}-node rows: ${cache.join("; ")}`);
    }
  }
  console.log("");
  console.log("CPU per call without sockets, this process (ms): floor work (decode + encode) | + extender logic | + protobuf of the scorer call (both sides)");
  for (const n of opts.sizes) {
    const b = await cpuBreakdown(n);
    console.log(`${String(n).padStart(6)} ${f(b.floor, 3)} ${f(b.logic, 3)} ${f(b.proto, 3)}`);
  }
  console.log("");
  for (const s of summary) console.log(s);
  console.log(`load average at end: ${loadavg()}`);
  await layout.stop();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
