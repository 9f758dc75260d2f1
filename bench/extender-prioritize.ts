// Benchmark: prioritize latency (p50/p99) and throughput at 100, 1,000 and 5,000 candidate nodes,
// measured beside a no-op extender endpoint in the same process (it parses the same request and
// answers constant scores: the floor), and printed as ratios against that floor.
//
// Rows:
//   floor          no-op endpoint: read body, JSON.parse + decode ExtenderArgs, constant HostPriorityList
//   extender+fake  the real extender (HTTP, decode, workload mapping, span, metrics, circuit breaker)
//                  calling a real grpc-js ScorerService over loopback whose implementation answers
//                  constant scores (isolates the extender + gRPC cost from model cost)
//   extender+real  the extender calling a real scorer-svc (started here with a real regime-svc and
//                  the shipped bundle, or the synthetic test bundle when models/default/ is absent),
//                  fed node-0..node-N over IngestNodeStates; one ONNX row per candidate
//   raw inference  the same bundle's interference model on the same N rows (bundle.predict), the
//                  second floor: target e2e p99 <= 1.5 x (floor p99 + raw inference p99)
//
// Usage: node dist/bench/extender-prioritize.js [--sizes 100,1000,5000] [--seconds 3] [--concurrency 4]
//        [--no-scorer] (skip the scorer-svc rows) [--onnx-threads 1]
//        [--bundle-dir models/default] (the real bundle; default: the synthetic linear test bundle,
//        whose inference is nearly free, so the rows show the non-inference overhead)
//        [--scorer-thread] (scorer-svc and regime-svc in a worker thread, so that they and the
//        extender each get a core, as two processes would; prints each thread's busy time per call)
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { Registry } from "prom-client";
import { Regime } from "../gen/overseer/v1/regime.js";
import { ScoreBasis, ScoreNodesRequest, ScoreNodesResponse, ScorerServiceClient } from "../gen/overseer/v1/scorer_service.js";
import { decodeScoreNodesRequest, decodeScoreNodesResponse, encodeNamesRequest } from "../lib/scorer/score-nodes-codec.js";
import { encodeScoreNodesResponse, FAST_SCORER_SERVICE_DEFINITION } from "../lib/scorer/wire.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { startExtender } from "../lib/extender/app.js";
import { createCircuitBreaker } from "../lib/extender/circuit-breaker.js";
import { parseExtenderConfig } from "../lib/extender/config.js";
import { silentLogger } from "../lib/extender/log.js";
import { createExtenderMetrics } from "../lib/extender/metrics.js";
import { createExtenderService } from "../lib/extender/service.js";
import { decodeExtenderArgs, parseJsonBody } from "../lib/extender/wire.js";
import { startRegimeService } from "../lib/regime/regime-server.js";
import { startScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";

interface Options {
  sizes: number[];
  seconds: number;
  concurrency: number;
  withScorer: boolean;
  onnxThreads: number;
  /** Bundle for scorer-svc; undefined = the synthetic test bundle. */
  bundleDir: string | undefined;
  scorerThread: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [100, 1000, 5000], seconds: 3, concurrency: 4, withScorer: true, onnxThreads: 1, bundleDir: undefined, scorerThread: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--sizes") o.sizes = value().split(",").map(Number);
    else if (flag === "--seconds") o.seconds = Number(value());
    else if (flag === "--concurrency") o.concurrency = Number(value());
    else if (flag === "--no-scorer") o.withScorer = false;
    else if (flag === "--onnx-threads") o.onnxThreads = Number(value());
    else if (flag === "--bundle-dir") o.bundleDir = value();
    else if (flag === "--scorer-thread") o.scorerThread = true;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 1) || !(o.seconds > 0) || !(o.concurrency >= 1)) throw new Error("bad --sizes/--seconds/--concurrency");
  return o;
}

/** The body kube-scheduler sends with nodeCacheCapable: true, for a UPF pod. */
function requestBody(n: number): string {
  const pod = {
    metadata: {
      name: "upf-7d9c5b-x2k4q",
      namespace: "ran",
      uid: "5f1c8a8e-2b7d-4c39-9a53-0c6b1d2e3f40",
      labels: { app: "upf" },
      annotations: { "overseer.io/workload-class": "upf", "overseer.io/max-slowdown": "1.25" },
    },
    spec: { containers: [{ name: "upf", image: "registry.example/upf:1.4", resources: { requests: { cpu: "4", memory: "8Gi" } } }], schedulerName: "default-scheduler" },
    status: { phase: "Pending" },
  };
  return JSON.stringify({ Pod: pod, Nodes: null, NodeNames: Array.from({ length: n }, (_, i) => `node-${i}`) });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** The floor: same parsing as the extender, constant answer, nothing else. */
async function startNoopEndpoint(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const args = decodeExtenderArgs(parseJsonBody(Buffer.concat(chunks).toString("utf8")));
      const text = JSON.stringify(args.nodeNames.map((Host) => ({ Host, Score: 5 })));
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/overseer/prioritize`, close: () => (server.closeAllConnections(), server.close()) };
}

/** A real grpc-js ScorerService whose implementation answers constant scores. */
async function startConstantScorer(): Promise<{ address: string; close: () => void }> {
  const server = new grpc.Server();
  server.addService(FAST_SCORER_SERVICE_DEFINITION, {
    scoreNodes: (call: grpc.ServerUnaryCall<ScoreNodesRequest, ScoreNodesResponse>, cb: grpc.sendUnaryData<ScoreNodesResponse>) =>
      cb(null, {
        modelVersion: "constant",
        packedScores: call.request.scoresOnly ? Buffer.alloc(call.request.nodeNames.length, 5) : Buffer.alloc(0),
        scores: call.request.scoresOnly ? [] : call.request.nodeNames.map((nodeName) => ({
          nodeName,
          score: 5,
          predictedSlowdown: 1.1,
          slowdownUpperBound: 1.2,
          regime: Regime.REGIME_QUIET,
          basis: ScoreBasis.SCORE_BASIS_MODEL,
        })),
      }),
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

// A real scorer-svc (with a real regime-svc) in this process, fed N quiet/busy nodes over
// IngestNodeStates, and the raw interference model on the same rows.
interface RealScorer {
  address: string;
  bundleSource: string;
  modelVersion: string;
  /** Raw interference-model time for `rows` rows (node row, zero profile, regime probabilities), sequential calls. */
  measureInference(rows: number, seconds: number): Promise<{ p50: number; p99: number }>;
  /** Event-loop active ms of scorer-svc's thread so far (only when it has a thread of its own). */
  busyMs(): Promise<number | undefined>;
  stop(): Promise<void>;
}

const BUSY = { mem_bandwidth_fraction_of_peak: 0.9, dram_bound_stall_fraction: 0.5, llc_misses_per_kilo_instr: 20 };
const quiet = () => undefined;

async function startRealScorer(nodes: number, onnxThreads: number, bundleDir: string | undefined): Promise<RealScorer> {
  const bundle = bundleDir ? { dir: bundleDir, root: undefined, source: bundleDir } : await makeBundleDir({ synthetic: true });
  const regime = await startRegimeService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir: bundle.dir, pollInterval: 0,
    maxBatch: 10_000, maxMessageBytes: 64 << 20, onnxThreads, shutdownGrace: 500, log: quiet,
  });
  const scorer = await startScorerService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir: bundle.dir, pollInterval: 0,
    regimeAddress: `127.0.0.1:${regime.grpcPort}`, regimeTimeout: 10_000, regimeFlush: 10, regimeBatch: 1024,
    freshness: 3_600_000, worstSlowdown: 2, placementSettle: 30_000, maxCandidates: 10_000, maxNodes: 100_000,
    maxMessageBytes: 64 << 20, onnxThreads, shutdownGrace: 500, log: quiet,
  });
  const address = `127.0.0.1:${scorer.grpcPort}`;
  const client = new ScorerServiceClient(address, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) => {
    const stream = client.ingestNodeStates((e, r) =>
      e ? reject(e) : r.accepted === nodes ? resolve() : reject(new Error(`ingest: ${JSON.stringify(r)}`)),
    );
    for (let i = 0; i < nodes; i++) stream.write({ state: nodeState(`node-${i}`, { features: i % 3 === 0 ? BUSY : {} }), states: [] });
    stream.end();
  });
  client.close();
  const deadline = Date.now() + 60_000;
  while (![...scorer.store.values()].every((n) => n.regime !== undefined && !n.regimeStale)) {
    if (Date.now() > deadline) throw new Error("regimes did not arrive from regime-svc within 60 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  const model = scorer.holder.current();
  if (!model) throw new Error("scorer-svc has no bundle loaded");
  return {
    address,
    bundleSource: bundle.source,
    modelVersion: model.manifest.version,
    async measureInference(rows, seconds) {
      const D = model.interferenceWidth;
      const F2 = 2 * model.featureCount;
      const P = model.profileCount;
      const input = new Float32Array(rows * D);
      for (let i = 0; i < rows; i++) {
        const rec = scorer.store.get(`node-${i}`)!;
        input.set(rec.row, i * D);
        const probs = rec.regimeProbs;
        for (let k = 0; k < model.regimeCount; k++) input[i * D + F2 + P + k] = probs ? probs[model.manifest.regimes[k]!]! : k === 0 ? 1 : 0;
      }
      const lat: number[] = [];
      const end = performance.now() + (seconds * 1000) / 2;
      for (let i = 0; i < 5; i++) await model.predict(input, rows);
      while (performance.now() < end || lat.length < 20) {
        const t0 = performance.now();
        await model.predict(input, rows);
        lat.push(performance.now() - t0);
      }
      lat.sort((a, b) => a - b);
      return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
    },
    busyMs: async () => undefined,
    async stop() {
      await scorer.stop();
      await regime.stop();
      if (bundle.root) await rm(bundle.root, { recursive: true, force: true });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function postOnce(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let size = 0;
      res.on("data", (c: Buffer) => (size += c.length));
      res.on("end", () => (res.statusCode === 200 && size > 0 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  p50: number;
  p99: number;
  rps: number;
  n: number;
  /** Process CPU (user+system) per sequential call: less sensitive to other load than wall time. */
  cpuMs: number;
  /** Event-loop active ms per sequential call: this (client + extender) thread, and scorer-svc's when it has its own. */
  mainBusyMs: number;
  scorerBusyMs: number | undefined;
}

/** Sequential calls for latency (a kube-scheduler calls an extender once per pod), then a closed loop for throughput. */
async function measure(url: string, body: string, opts: Options, scorerBusy: () => Promise<number | undefined> = async () => undefined): Promise<Result> {
  const until = (ms: number) => performance.now() + ms;
  const warmEnd = until(300);
  while (performance.now() < warmEnd) await postOnce(url, body);
  const lat: number[] = [];
  const busy0 = await scorerBusy();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const latEnd = until((opts.seconds * 1000) / 2);
  while (performance.now() < latEnd || lat.length < 20) lat.push(await postOnce(url, body));
  const cpu = process.cpuUsage(cpu0);
  const mainBusyMs = performance.eventLoopUtilization(elu0).active / lat.length;
  const busy1 = await scorerBusy();
  const scorerBusyMs = busy0 !== undefined && busy1 !== undefined ? (busy1 - busy0) / lat.length : undefined;
  const cpuMs = (cpu.user + cpu.system) / 1000 / lat.length;
  lat.sort((a, b) => a - b);
  let done = 0;
  const t0 = performance.now();
  const tpEnd = until((opts.seconds * 1000) / 2);
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < tpEnd) {
        await postOnce(url, body);
        done++;
      }
    }),
  );
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), rps: done / ((performance.now() - t0) / 1000), n: lat.length, cpuMs, mainBusyMs, scorerBusyMs };
}

/**
 * CPU-only decomposition without sockets: the floor's work (parse + decode + encode), then the
 * extender's service logic with an in-memory backend, then with protobuf encode/decode of the
 * scorer request and answer added (both sides). ms of process CPU per call.
 */
async function cpuBreakdown(n: number): Promise<{ floor: number; logic: number; proto: number }> {
  const body = requestBody(n);
  const names = Array.from({ length: n }, (_, i) => `node-${i}`);
  const resp: ScoreNodesResponse = {
    modelVersion: "constant",
    packedScores: Buffer.alloc(n, 5),
    scores: [],
  };
  const respBytes = encodeScoreNodesResponse(resp);
  const service = (viaProto: boolean) =>
    createExtenderService({
      backend: {
        scoreNodes: async (req) => {
          if (!viaProto) return resp;
          // The codecs the extender and scorer-svc use (lib/scorer/score-nodes-codec.ts, wire.ts).
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
  const plain = service(false);
  const proto = service(true);
  return {
    floor: await cpuPerCall(async () => JSON.stringify(decodeExtenderArgs(parseJsonBody(body)).nodeNames.map((Host) => ({ Host, Score: 5 })))),
    logic: await cpuPerCall(async () => JSON.stringify(await plain.prioritize(decodeExtenderArgs(parseJsonBody(body))))),
    proto: await cpuPerCall(async () => JSON.stringify(await proto.prioritize(decodeExtenderArgs(parseJsonBody(body))))),
  };
}

/** scorer-svc (with regime-svc) in a worker thread: its own event loop, so its own core. */
async function startScorerThread(nodes: number, onnxThreads: number, bundleDir: string | undefined): Promise<RealScorer> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "scorer", nodes, onnxThreads, bundleDir } });
  const pending = new Map<number, (v: any) => void>();
  let nextId = 1;
  const info = await new Promise<{ address: string; bundleSource: string; modelVersion: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  worker.on("message", (m: { id: number; value: unknown }) => pending.get(m.id)?.(m.value));
  const ask = <T>(msg: Record<string, unknown>) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, (v) => (pending.delete(id), resolve(v as T)));
      worker.postMessage({ ...msg, id });
    });
  return {
    ...info,
    measureInference: (rows, seconds) => ask({ op: "inference", rows, seconds }),
    busyMs: () => ask({ op: "busy" }),
    async stop() {
      await ask({ op: "stop" });
      await worker.terminate();
    },
  };
}

async function scorerThreadMain(d: { nodes: number; onnxThreads: number; bundleDir: string | undefined }): Promise<void> {
  const real = await startRealScorer(d.nodes, d.onnxThreads, d.bundleDir);
  parentPort!.postMessage({ address: real.address, bundleSource: real.bundleSource, modelVersion: real.modelVersion });
  parentPort!.on("message", async (m: { id: number; op: string; rows: number; seconds: number }) => {
    let value: unknown;
    if (m.op === "inference") value = await real.measureInference(m.rows, m.seconds);
    else if (m.op === "busy") value = performance.eventLoopUtilization().active;
    else if (m.op === "stop") await real.stop();
    parentPort!.postMessage({ id: m.id, value });
  });
}

const f = (x: number, d = 2) => x.toFixed(d).padStart(8);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const floor = await startNoopEndpoint();
  const fake = await startConstantScorer();
  const argv = ["--listen", "127.0.0.1:0", "--breaker-failures", "1000000"];
  const extFake = await startExtender(parseExtenderConfig([...argv, "--scorer-address", fake.address], {}), { registry: new Registry(), logger: silentLogger });
  const start = opts.scorerThread ? startScorerThread : startRealScorer;
  const real = opts.withScorer ? await start(Math.max(...opts.sizes), opts.onnxThreads, opts.bundleDir) : undefined;
  const extReal = real
    ? await startExtender(parseExtenderConfig([...argv, "--scorer-address", real.address], {}), { registry: new Registry(), logger: silentLogger })
    : undefined;
  if (real) console.log(`scorer-svc: ${opts.scorerThread ? "in a worker thread (its own event loop)" : "in-process (same event loop as the extender)"} with regime-svc, bundle ${real.bundleSource} (${real.modelVersion}), onnx threads ${opts.onnxThreads}`);

  console.log(`extender prioritize benchmark (nodeCacheCapable: true; ${opts.seconds}s per row, throughput with ${opts.concurrency} concurrent callers; client, servers and scorer share this process)`);
  const busy: string[] = [];
  console.log(`${"nodes".padStart(6)} ${"row".padEnd(15)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"calls/s".padStart(8)} ${"p50/flr".padStart(8)} ${"p99/flr".padStart(8)} ${"rps/flr".padStart(8)} ${"cpu ms".padStart(8)} ${"cpu/flr".padStart(8)}`);
  const summary: string[] = [];
  for (const n of opts.sizes) {
    const body = requestBody(n);
    const rows: [string, string][] = [
      ["floor (no-op)", floor.url],
      ["extender+fake", `${extFake.server.url}/overseer/prioritize`],
    ];
    if (extReal) rows.push(["extender+real", `${extReal.server.url}/overseer/prioritize`]);
    let base: Result | undefined;
    for (const [name, url] of rows) {
      const r = await measure(url, body, opts, name === "extender+real" && real ? () => real.busyMs() : undefined);
      busy.push(`${String(n).padStart(6)} ${name.padEnd(15)} ${f(r.mainBusyMs)} ${r.scorerBusyMs === undefined ? "       -" : f(r.scorerBusyMs)}`);
      base ??= r;
      console.log(
        `${String(n).padStart(6)} ${name.padEnd(15)} ${f(r.p50)} ${f(r.p99)} ${f(r.rps, 0)} ${f(r.p50 / base.p50)} ${f(r.p99 / base.p99)} ${f(r.rps / base.rps)} ${f(r.cpuMs)} ${f(r.cpuMs / base.cpuMs)}`,
      );
      if (name === "extender+real" && real) {
        const inf = await real.measureInference(n, opts.seconds);
        console.log(`${String(n).padStart(6)} ${"raw inference".padEnd(15)} ${f(inf.p50)} ${f(inf.p99)}`);
        const floorSum = base.p99 + inf.p99;
        summary.push(
          `e2e p99 at ${n} nodes: extender+scorer-svc ${r.p99.toFixed(2)} ms vs floors ${base.p99.toFixed(2)} + ${inf.p99.toFixed(2)} = ${floorSum.toFixed(2)} ms -> ${(r.p99 / floorSum).toFixed(2)}x (target <= 1.5x: ${r.p99 <= 1.5 * floorSum ? "MET" : "NOT MET"})`,
        );
        if (n === 1000) summary.push(`e2e throughput at 1,000 nodes: ${r.rps.toFixed(0)} calls/s (target >= 500) -> ${r.rps >= 500 ? "MET" : "NOT MET"}`);
        const degraded = await extReal!.registry.getSingleMetricAsString("overseer_extender_degraded_total");
        if (/_total\{/.test(degraded)) summary.push(`WARNING: degraded answers in the extender+real ${n}-node run (numbers not comparable)`);
      }
      if (name === "extender+fake") {
        const degraded = await extFake.registry.getSingleMetricAsString("overseer_extender_degraded_total");
        if (/_total\{/.test(degraded)) summary.push(`WARNING: degraded answers during the ${n}-node run (numbers not comparable)`);
        if (n === 1000) summary.push(`extender+fake throughput at 1,000 nodes: ${r.rps.toFixed(0)} calls/s`);
        summary.push(`extender+fake p99 at ${n} nodes: ${r.p99.toFixed(2)} ms vs floor ${base.p99.toFixed(2)} ms = ${(r.p99 / base.p99).toFixed(2)}x (extender + gRPC cost, no model)`);
      }
    }
  }
  console.log("");
  console.log("Event-loop active ms per sequential call (wall time the loop was not idle: includes time preempted by other load): this thread (HTTP client + extender + no-op/fake servers) | scorer-svc's thread (with --scorer-thread)");
  for (const b of busy) console.log(b);
  console.log("");
  console.log("CPU per call without sockets (ms): floor work | + extender logic | + protobuf of the scorer call (both sides)");
  for (const n of opts.sizes) {
    const b = await cpuBreakdown(n);
    console.log(`${String(n).padStart(6)} ${f(b.floor, 3)} ${f(b.logic, 3)} ${f(b.proto, 3)}`);
  }
  console.log("");
  for (const s of summary) console.log(s);
  await extFake.close();
  await extReal?.close();
  await real?.stop();
  fake.close();
  floor.close();
  agent.destroy();
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else if (workerData?.role === "scorer") {
  void scorerThreadMain(workerData);
}
